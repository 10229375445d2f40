/** The messages between the Explorer (store-client.ts) and its store's worker (store-worker.ts). */
import type { NodeEvent } from '../../types/index.js';
import type { PruneOptions, StoreHealth, StoreOptions } from './store.js';
import type { PageRequest } from './store-sql.js';

export interface StoreWorkerData {
  path: string;
  options: StoreOptions;
}

export type StoreRequest =
  | { id: number; op: 'open' }
  | { id: number; op: 'insert'; events: NodeEvent[] }
  | { id: number; op: 'query'; page: PageRequest }
  | { id: number; op: 'prune'; prune: PruneOptions }
  | { id: number; op: 'close' };

export interface StoreReply {
  id: number;
  ok: boolean;
  /** open: boolean; insert: the first event's id (0 = not stored); query: EventPage; prune: rows. */
  result?: unknown;
  /** When `ok` is false: the error the store threw (ERR_STORE_UNAVAILABLE, ERR_INVALID_ARGUMENT). */
  error?: { code: string; message: string };
  health: StoreHealth;
  dropped: number;
}

export interface WorkerLogLine {
  level: 'warn' | 'error';
  fields: Record<string, unknown>;
  msg: string;
}
