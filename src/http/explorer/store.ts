/**
 * The node's events in an embedded SQLite file (@libsql/client, `file:` URL), one per node.
 *
 * The store never throws into the loops that feed it: a file that cannot be opened (bad path,
 * read-only place) or written (disk full, I/O error) puts the store in state 'failed' with the
 * error, logs once, and from then on drops writes and counts them (`droppedEvents`). Only
 * `query()` throws, with ERR_STORE_UNAVAILABLE, because its caller (an HTTP request) answers 503.
 * A failed store stays failed until the node restarts: the Explorer is a window on the node, not
 * a reason to keep retrying a broken disk.
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Client, createClient } from '@libsql/client';
import type { NodeEvent } from '../../types/index.js';
import { ConnectorError } from '../../utils/errors.js';
import type { Logger } from '../../utils/logger.js';
import { messageOf } from '../../utils/text.js';
import {
  countStatement,
  hasFilters,
  insertStatement,
  MAX_PAGE_LIMIT,
  MAX_PAGE_OFFSET,
  type PageRequest,
  pageStatement,
  ROWS_PER_INSERT,
  SCHEMA_SQL,
} from './store-sql.js';

export type StoreState = 'new' | 'open' | 'failed' | 'closed';

export interface StoreHealth {
  state: 'open' | 'failed' | 'closed';
  error?: string;
  events: number;
  sizeBytes: number;
  path: string;
}

export interface EventPage {
  events: NodeEvent[];
  total: number;
  nextCursor: string | null;
}

export interface PruneOptions {
  retentionDays: number;
  maxEvents: number;
  nowMs: number;
}

/** Rows deleted per statement while pruning; the loop yields to the event loop between them. */
export const PRUNE_CHUNK_ROWS = 10_000;
/** A failing store repeats its complaint at most this often (with the count of dropped events). */
const FAILURE_LOG_INTERVAL_MS = 60_000;
const DAY_MS = 86_400_000;

export class EventStore {
  /** Events not stored because the store was failed or closed, or their write failed. */
  droppedEvents = 0;
  private client: Client | undefined;
  private stateNow: StoreState = 'new';
  private errorText: string | undefined;
  private count = 0;
  private nextId = 1;
  private lastFailureLogMs = 0;
  readonly path: string;

  constructor(
    path: string,
    private readonly logger: Logger,
  ) {
    this.path = resolve(path);
  }

  get state(): StoreState {
    return this.stateNow;
  }

  /** Opens the file, creates the schema, reads the count. Never throws: failure is a state. */
  async open(): Promise<boolean> {
    if (this.stateNow !== 'new') return this.stateNow === 'open';
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      // concurrency 1: one connection, so per-connection pragmas hold for every statement.
      this.client = createClient({ url: pathToFileURL(this.path).href, concurrency: 1 });
      // WAL when the file system supports it; otherwise SQLite keeps its rollback journal.
      await this.client.execute('PRAGMA journal_mode = WAL');
      await this.client.execute('PRAGMA synchronous = NORMAL');
      await this.client.batch(SCHEMA_SQL, 'write');
      const counted = await this.client.execute('SELECT COUNT(*) AS n, MAX(id) AS maxId FROM events');
      const seq = await this.client.execute("SELECT seq FROM sqlite_sequence WHERE name = 'events'");
      this.count = Number(counted.rows[0]?.n ?? 0);
      const maxId = Math.max(Number(counted.rows[0]?.maxId ?? 0), Number(seq.rows[0]?.seq ?? 0));
      this.nextId = maxId + 1;
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
    const client = this.client;
    if (this.stateNow !== 'open' || client === undefined) {
      this.drop(events.length);
      return events;
    }
    // Ids are taken before the write and never given back, so they stay unique even if a write
    // fails half-way (the transaction rolls back; the gap is harmless).
    const first = this.nextId;
    this.nextId += events.length;
    const rows = events.map((e, i) => ({ ...e, id: first + i }));
    const statements = [];
    for (let i = 0; i < rows.length; i += ROWS_PER_INSERT)
      statements.push(insertStatement(rows.slice(i, i + ROWS_PER_INSERT)));
    try {
      await client.batch(statements, 'write');
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
    const client = this.client;
    if (this.stateNow !== 'open' || client === undefined)
      throw new ConnectorError('ERR_STORE_UNAVAILABLE', `event store is ${this.stateNow}`);
    if (!Number.isInteger(request.limit) || request.limit < 1 || request.limit > MAX_PAGE_LIMIT)
      throw new ConnectorError('ERR_INVALID_ARGUMENT', `limit must be 1..${MAX_PAGE_LIMIT}`);
    const offset = request.offset ?? 0;
    if (!Number.isInteger(offset) || offset < 0 || offset > MAX_PAGE_OFFSET)
      throw new ConnectorError('ERR_INVALID_ARGUMENT', `offset must be 0..${MAX_PAGE_OFFSET}`);
    try {
      const page = await client.execute(pageStatement(request));
      let total = this.count;
      if (hasFilters(request)) {
        const counted = await client.execute(countStatement(request));
        total = Number(counted.rows[0]?.n ?? 0);
      }
      const rows = page.rows.slice(0, request.limit);
      const events = rows.map(
        (row) => ({ id: Number(row.id), ...JSON.parse(String(row.json)) }) as NodeEvent,
      );
      const more = page.rows.length > request.limit;
      const last = events.at(-1);
      return { events, total, nextCursor: more && last !== undefined ? String(last.id) : null };
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
        const n = await this.deleteChunk(
          'DELETE FROM events WHERE id IN (SELECT id FROM events WHERE ts < ? ORDER BY ts LIMIT ?)',
          [cutoff, PRUNE_CHUNK_ROWS],
        );
        deleted += n;
        if (n < PRUNE_CHUNK_ROWS) break;
        await yieldToLoop();
      }
      while (this.count > options.maxEvents) {
        const excess = Math.min(this.count - options.maxEvents, PRUNE_CHUNK_ROWS);
        const n = await this.deleteChunk(
          'DELETE FROM events WHERE id IN (SELECT id FROM events ORDER BY id LIMIT ?)',
          [excess],
        );
        deleted += n;
        if (n === 0) {
          await this.recount();
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
    if (this.stateNow === 'open') this.stateNow = 'closed';
    if (this.stateNow === 'new') this.stateNow = 'closed';
    const client = this.client;
    this.client = undefined;
    try {
      client?.close();
    } catch (err) {
      this.logger.warn({ err: messageOf(err) }, 'explorer event store did not close cleanly');
    }
  }

  private async deleteChunk(sql: string, args: number[]): Promise<number> {
    const client = this.client;
    if (this.stateNow !== 'open' || client === undefined) return 0;
    const result = await client.execute({ sql, args });
    this.count = Math.max(0, this.count - result.rowsAffected);
    return result.rowsAffected;
  }

  private async recount(): Promise<void> {
    const counted = await this.client?.execute('SELECT COUNT(*) AS n FROM events');
    if (counted !== undefined) this.count = Number(counted.rows[0]?.n ?? 0);
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
    const client = this.client;
    this.client = undefined;
    try {
      client?.close();
    } catch {
      // already broken
    }
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

const yieldToLoop = (): Promise<void> => new Promise((done) => setImmediate(done));
