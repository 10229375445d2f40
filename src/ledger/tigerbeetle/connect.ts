/**
 * Connecting the TigerBeetle backend: load the client (unless one is injected), then prove within
 * `connectTimeoutMs` that the cluster answers, so a node can fall back to another backend instead
 * of hanging: a TigerBeetle client never fails a request, it retries until the cluster answers.
 */
import { ConnectorError } from '../../utils/errors.js';
import { ensureProbeAccount } from './accounts.js';
import { TigerBeetleBatcher } from './batcher.js';
import type { ChainContext } from './chains.js';
import { loadClient, type TigerBeetleClientLike } from './client.js';
import type { ResolvedOptions } from './options.js';

export interface Connection {
  client: TigerBeetleClientLike;
  batcher: TigerBeetleBatcher;
  /** Stops the batcher and destroys the client unless it was injected (its owner destroys it). */
  release(error: ConnectorError): void;
}

export async function connect(options: ResolvedOptions, ctx: ChainContext): Promise<Connection> {
  const { client: injected, clusterId, replicaAddresses, connectTimeoutMs } = options;
  const where = `cannot reach TigerBeetle cluster ${clusterId} at ${replicaAddresses.join(',')}`;
  let client: TigerBeetleClientLike;
  try {
    client = injected ?? (await loadClient({ clusterId, replicaAddresses }));
  } catch (cause) {
    throw new ConnectorError('ERR_LEDGER', `${where}: ${String(cause)}`, { cause });
  }
  const batcher = new TigerBeetleBatcher(client, options);
  const release = (error: ConnectorError) => {
    batcher.close(error);
    if (injected === undefined) client.destroy();
  };
  try {
    // A write, not only a read: it proves the cluster answers and creates the probe account.
    await withTimeout(ensureProbeAccount(batcher, ctx), connectTimeoutMs);
  } catch (cause) {
    const reason = cause instanceof TimeoutError ? `no answer within ${connectTimeoutMs} ms` : String(cause);
    const error = new ConnectorError('ERR_LEDGER', `${where}: ${reason}`, { cause });
    release(error);
    throw error;
  }
  return { client, batcher, release };
}

class TimeoutError extends Error {}

/** Rejects with a TimeoutError after `ms`; the losing promise's rejection is handled. */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`no answer within ${ms} ms`)), ms);
  });
  promise.catch(() => undefined);
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
