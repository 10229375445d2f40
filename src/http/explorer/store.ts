/**
 * The node's events in an embedded SQLite file, one per node (sqlite.ts: libsql, statements
 * prepared once, so memory stays flat).
 *
 * The store never throws into the loops that feed it: a file that cannot be opened (bad path,
 * read-only place) or written (disk full, I/O error; the file removed or replaced) puts the store in state 'failed' with the
 * error, logs once, and from then on drops writes and counts them (`droppedEvents`). Only
 * `query()` throws, with ERR_STORE_UNAVAILABLE, because its caller (an HTTP request) answers 503.
 * A failed store stays failed until the node restarts: the Explorer is a window on the node, not
 * a reason to keep retrying a broken disk.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { NodeEvent } from '../../types/index.js';
import { ConnectorError } from '../../utils/errors.js';
import { messageOf } from '../../utils/text.js';
import { Sqlite } from './sqlite.js';
import {
  countStatement,
  hasFilters,
  insertSql,
  MAX_PAGE_LIMIT,
  MAX_PAGE_OFFSET,
  type PageRequest,
  pageStatement,
  pushInsertArgs,
  ROWS_PER_INSERT,
  SCHEMA_SQL,
  type SqlArg,
} from './store-sql.js';

export type StoreState = 'new' | 'open' | 'failed' | 'closed';

/** What the store logs with: the node's logger, or the worker's messages to it (store-worker.ts). */
export interface StoreLogger {
  warn(fields: Record<string, unknown>, msg: string): void;
  error(fields: Record<string, unknown>, msg: string): void;
}

export interface StoreHealth {
  state: 'open' | 'failed' | 'closed';
  error?: string;
  events: number;
  sizeBytes: number;
  path: string;
}

export interface EventPage {
  events: NodeEvent[];
  /** Every match, counted up to the store's `countLimit`; at the limit `totalExact` is false. */
  total: number;
  /** False when there are more than `total` matches (a filtered count stops at `countLimit`). */
  totalExact: boolean;
  nextCursor: string | null;
}

export interface StoreOptions {
  /**
   * SQLite's page cache, KiB. Default 32 MiB (SQLite's own is 2): inserts into the random
   * packet index hit it, 25% faster at 1M events.
   */
  cacheKiB?: number;
  /**
   * A filtered page counts its matches up to this many (default 10,000): an exact count of a
   * broad filter reads most of the store (750 ms for half of 1M events), a bounded one a few ms.
   */
  countLimit?: number;
}

export const DEFAULT_COUNT_LIMIT = 10_000;

const DEFAULT_CACHE_KIB = 32 * 1024;
const MAX_CACHE_KIB = 1024 * 1024;

export interface PruneOptions {
  retentionDays: number;
  maxEvents: number;
  nowMs: number;
}

/**
 * Rows deleted per statement while pruning; the loop yields to the event loop between them.
 * Deleting a row touches six indexes: 500 rows take about 20 ms at 1M events (bench).
 */
export const PRUNE_CHUNK_ROWS = 500;
/** A failing store repeats its complaint at most this often (with the count of dropped events). */
const FAILURE_LOG_INTERVAL_MS = 60_000;
const DAY_MS = 86_400_000;

export class EventStore {
  /** Events not stored because the store was failed or closed, or their write failed. */
  droppedEvents = 0;
  private db: Sqlite | undefined;
  private stateNow: StoreState = 'new';
  private readonly countLimit: number;
  private errorText: string | undefined;
  private count = 0;
  private nextId = 1;
  private lastFailureLogMs = 0;
  /** The opened file's device and inode: writes stop if the path comes to name another file. */
  private fileId: string | undefined;
  readonly path: string;
  private readonly cacheKiB: number;

  constructor(
    path: string,
    private readonly logger: StoreLogger,
    options: StoreOptions = {},
  ) {
    this.path = resolve(path);
    this.cacheKiB = options.cacheKiB ?? DEFAULT_CACHE_KIB;
    this.countLimit = options.countLimit ?? DEFAULT_COUNT_LIMIT;
    // It goes into a PRAGMA's text: only a plain integer may.
    if (!Number.isInteger(this.cacheKiB) || this.cacheKiB < 64 || this.cacheKiB > MAX_CACHE_KIB)
      throw new ConnectorError(
        'ERR_INVALID_ARGUMENT',
        `cacheKiB must be an integer from 64 to ${MAX_CACHE_KIB}`,
      );
  }

  get state(): StoreState {
    return this.stateNow;
  }

  /** Events in the store (a running count, exact after every insert and prune). */
  get events(): number {
    return this.count;
  }

  /** Opens the file, creates the schema, reads the count. Never throws: failure is a state. */
  async open(): Promise<boolean> {
    if (this.stateNow !== 'new') return this.stateNow === 'open';
    try {
      this.db = Sqlite.open(this.path, this.cacheKiB, SCHEMA_SQL);
      this.fileId = fileIdOf(this.path);
      const counted = this.get('SELECT COUNT(*) AS n, MAX(id) AS maxId FROM events', []);
      const seq = this.get("SELECT seq FROM sqlite_sequence WHERE name = 'events'", []);
      this.count = Number(counted?.n ?? 0);
      this.nextId = Math.max(Number(counted?.maxId ?? 0), Number(seq?.seq ?? 0)) + 1;
      this.stateNow = 'open';
      return true;
    } catch (err) {
      this.fail('open', err);
      return false;
    }
  }

  /**
   * Stores one batch in one transaction and sets the events' ids (in place; the same array is
   * returned). When the store is not open or the write fails, the events keep id 0 and are
   * counted in `droppedEvents`.
   */
  async insert(events: NodeEvent[]): Promise<NodeEvent[]> {
    if (events.length === 0) return events;
    const db = this.db;
    if (this.stateNow !== 'open' || db === undefined) {
      this.drop(events.length);
      return events;
    }
    // A file removed (its folder deleted) or replaced under an open connection still takes
    // writes, into an inode no one can open again: SQLite would not notice, so the store does.
    if (fileIdOf(this.path) !== this.fileId) {
      this.fail('write', new Error('the file was removed or replaced while open'));
      this.drop(events.length);
      return events;
    }
    // Ids are taken before the write and never given back, so they stay unique even if a write
    // fails half-way (the transaction rolls back; the gap is harmless).
    const first = this.nextId;
    this.nextId += events.length;
    try {
      db.transaction(() => {
        let i = 0;
        for (; i + ROWS_PER_INSERT <= events.length; i += ROWS_PER_INSERT)
          this.insertRows(db, events, i, ROWS_PER_INSERT, first);
        for (; i < events.length; i++) this.insertRows(db, events, i, 1, first);
      });
    } catch (err) {
      if (this.stateNow === 'open') this.fail('write', err);
      this.drop(events.length);
      return events;
    }
    this.count += events.length;
    for (let i = 0; i < events.length; i++) events[i]!.id = first + i;
    return events;
  }

  /** One page, newest first, and the number of events matching the filters. */
  async query(request: PageRequest): Promise<EventPage> {
    if (this.stateNow !== 'open' || this.db === undefined)
      throw new ConnectorError('ERR_STORE_UNAVAILABLE', `event store is ${this.stateNow}`);
    if (!Number.isInteger(request.limit) || request.limit < 1 || request.limit > MAX_PAGE_LIMIT)
      throw new ConnectorError('ERR_INVALID_ARGUMENT', `limit must be 1..${MAX_PAGE_LIMIT}`);
    const offset = request.offset ?? 0;
    if (!Number.isInteger(offset) || offset < 0 || offset > MAX_PAGE_OFFSET)
      throw new ConnectorError('ERR_INVALID_ARGUMENT', `offset must be 0..${MAX_PAGE_OFFSET}`);
    try {
      const page = pageStatement(request);
      const row = this.get(page.sql, page.args);
      let total = this.count;
      let totalExact = true;
      if (hasFilters(request)) {
        const counted = countStatement(request, this.countLimit);
        const n = Number(this.get(counted.sql, counted.args)?.n ?? 0);
        totalExact = n <= this.countLimit;
        total = Math.min(n, this.countLimit);
      }
      const all = JSON.parse(`[${typeof row?.page === 'string' ? row.page : ''}]`) as NodeEvent[];
      const events = all.slice(0, request.limit);
      const last = events.at(-1);
      const more = all.length > request.limit;
      const nextCursor = more && last !== undefined ? String(last.id) : null;
      return { events, total, totalExact, nextCursor };
    } catch (err) {
      throw new ConnectorError('ERR_STORE_UNAVAILABLE', `event store query failed: ${messageOf(err)}`, {
        cause: err,
      });
    }
  }

  /**
   * Deletes events older than `retentionDays` and the oldest beyond `maxEvents`, at most
   * PRUNE_CHUNK_ROWS per statement, yielding between statements so the node's packets and the
   * flush loop run in between. Returns the number of events deleted. Never throws.
   */
  async prune(options: PruneOptions): Promise<number> {
    let deleted = 0;
    try {
      const cutoff = options.nowMs - options.retentionDays * DAY_MS;
      for (;;) {
        const n = this.deleteChunk(
          'DELETE FROM events WHERE id IN (SELECT id FROM events WHERE ts < ? ORDER BY ts LIMIT ?)',
          [cutoff, PRUNE_CHUNK_ROWS],
        );
        deleted += n;
        if (n < PRUNE_CHUNK_ROWS) break;
        await yieldToLoop();
      }
      while (this.count > options.maxEvents) {
        const excess = Math.min(this.count - options.maxEvents, PRUNE_CHUNK_ROWS);
        const n = this.deleteChunk(
          'DELETE FROM events WHERE id IN (SELECT id FROM events ORDER BY id LIMIT ?)',
          [excess],
        );
        deleted += n;
        if (n === 0) {
          this.recount();
          break;
        }
        await yieldToLoop();
      }
    } catch (err) {
      if (this.stateNow === 'open') this.fail('prune', err);
    }
    return deleted;
  }

  health(): StoreHealth {
    const state = this.stateNow === 'new' ? 'closed' : this.stateNow;
    const health: StoreHealth = { state, events: this.count, sizeBytes: this.sizeBytes(), path: this.path };
    if (this.errorText !== undefined) health.error = this.errorText;
    return health;
  }

  close(): void {
    if (this.stateNow === 'open' || this.stateNow === 'new') this.stateNow = 'closed';
    this.closeDb();
  }

  private get(sql: string, args: SqlArg[]): Record<string, unknown> | undefined {
    if (this.db === undefined)
      throw new ConnectorError('ERR_STORE_UNAVAILABLE', `event store is ${this.stateNow}`);
    return this.db.get(sql, args);
  }

  private insertRows(db: Sqlite, events: NodeEvent[], from: number, rows: number, firstId: number): void {
    const args: SqlArg[] = [];
    for (let i = from; i < from + rows; i++) pushInsertArgs(args, events[i]!, firstId + i);
    db.run(insertSql(rows), args);
  }

  private deleteChunk(sql: string, args: number[]): number {
    if (this.stateNow !== 'open' || this.db === undefined) return 0;
    const changes = this.db.run(sql, args);
    this.count = Math.max(0, this.count - changes);
    return changes;
  }

  private recount(): void {
    if (this.db === undefined) return;
    this.count = Number(this.get('SELECT COUNT(*) AS n FROM events', [])?.n ?? 0);
  }

  private closeDb(): void {
    const db = this.db;
    this.db = undefined;
    try {
      db?.close();
    } catch (err) {
      this.logger.warn({ err: messageOf(err) }, 'explorer event store did not close cleanly');
    }
  }

  private sizeBytes(): number {
    let total = 0;
    for (const suffix of ['', '-wal']) {
      try {
        total += statSync(this.path + suffix).size;
      } catch {
        // absent (no WAL yet, or the file could not be created)
      }
    }
    return total;
  }

  private fail(what: 'open' | 'write' | 'prune', err: unknown): void {
    this.errorText = `${what} failed: ${messageOf(err)}`;
    this.stateNow = 'failed';
    this.lastFailureLogMs = Date.now();
    this.logger.error(
      { path: this.path, err: messageOf(err) },
      'explorer event store failed; events are no longer stored',
    );
    this.closeDb();
  }

  private drop(n: number): void {
    this.droppedEvents += n;
    // The failure itself was logged once; after that, a reminder with the count per interval.
    const now = Date.now();
    if (this.stateNow !== 'failed' || now - this.lastFailureLogMs < FAILURE_LOG_INTERVAL_MS) return;
    this.lastFailureLogMs = now;
    this.logger.warn(
      { path: this.path, dropped: this.droppedEvents, error: this.errorText },
      'explorer event store still failed; events dropped',
    );
  }
}

function fileIdOf(path: string): string | undefined {
  try {
    const stat = statSync(path, { bigint: true });
    return `${stat.dev}:${stat.ino}`;
  } catch {
    return undefined;
  }
}

const yieldToLoop = (): Promise<void> => new Promise((done) => setImmediate(done));
