import { type LevelWithSilent, type Logger, pino } from 'pino';

export type { Logger };

/** The spec's `createLogger(name, level)`: a pino logger writing JSON lines to stdout. */
export function createLogger(name: string, level: LevelWithSilent | string = 'info'): Logger {
  return pino({ name, level });
}

/** A logger that drops everything, for tests and benchmarks. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
