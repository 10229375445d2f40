/**
 * IPC messages between the orchestrator (bench/run.ts) and the processes it forks. Readiness is
 * always a message, never a sleep: a node says it listens and which peers authenticated; a load
 * client says it authenticated and when its measurement window starts and ends.
 */

/** Measured by a load client over its measurement window. */
export interface LoadResult {
  fulfilled: number;
  rejected: number;
  /** BTP Error frames and replies without an ILP packet. */
  errors: number;
  /** Replies outside the measured window (warm-up, drain) that were not fulfills. */
  unmeasuredFailures: number;
  measuredMs: number;
  packetsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** The first few reject codes (or BTP error names), to explain a failure. */
  firstFailures: string[];
}

export type NodeMessage =
  | { type: 'listening'; port: number }
  | { type: 'peer'; id: string }
  | { type: 'ready' }
  | { type: 'fatal'; message: string };

export type ClientMessage =
  | { type: 'authenticated'; sockets: number; elapsedMs: number }
  | { type: 'measure-start' }
  | { type: 'measure-end' }
  | { type: 'result'; result: LoadResult }
  | { type: 'fatal'; message: string };

export type ChildMessage = NodeMessage | ClientMessage;

/** Orchestrator -> load client: start the closed loop. */
export interface RunCommand {
  type: 'run';
  warmupMs: number;
  measureMs: number;
}

/** Sends to the parent when there is one (forked); a no-op when run by hand. */
export function tell(message: ChildMessage): void {
  process.send?.(message);
}

/** Exits cleanly on SIGTERM/SIGINT, so that --cpu-prof can write its profile. */
export function exitOnSignal(): void {
  const exit = () => process.exit(0);
  process.once('SIGTERM', exit);
  process.once('SIGINT', exit);
}

/** Reports a startup failure to the orchestrator and exits non-zero. */
export function die(err: unknown): void {
  const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
  console.error(message);
  if (process.send === undefined) process.exit(1);
  // The message is sent asynchronously: exit once it is out.
  process.send({ type: 'fatal', message } satisfies ChildMessage, () => process.exit(1));
}

/** argv[2] is the JSON options object of a forked entry script. */
export function optionsFromArgv<T>(): T {
  const raw = process.argv[2];
  if (raw === undefined) throw new Error('expected a JSON options argument');
  return JSON.parse(raw) as T;
}
