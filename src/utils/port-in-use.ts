/**
 * A listen that fails because the port is taken becomes one clear ERR_PORT_IN_USE naming the
 * port, the setting that chose it and its environment variable (when there is one), instead of
 * the socket error. Two nodes on one host otherwise clash on the default ports.
 */
import { ConnectorError } from './errors.js';

export interface PortSetting {
  readonly port: number;
  /** The config field, e.g. `healthCheckPort` or `adminApi.port`. */
  readonly setting: string;
  /** The environment variable that overrides it, when the spec names one. */
  readonly envVar?: string | undefined;
}

/** Runs `listen`; an EADDRINUSE (or EACCES) becomes ERR_PORT_IN_USE, anything else is rethrown. */
export async function listenNamed<T>(where: PortSetting, listen: () => Promise<T>): Promise<T> {
  try {
    return await listen();
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    if (code !== 'EADDRINUSE' && code !== 'EACCES') throw err;
    throw portInUseError(where, code === 'EACCES' ? 'not allowed to this process' : 'already in use');
  }
}

export function portInUseError(where: PortSetting, why: string): ConnectorError {
  const set = where.envVar === undefined ? where.setting : `${where.setting} (or ${where.envVar})`;
  return new ConnectorError(
    'ERR_PORT_IN_USE',
    `port ${where.port} is ${why}: set ${set} to a free port (0 picks one)`,
  );
}
