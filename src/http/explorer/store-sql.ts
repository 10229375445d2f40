/**
 * The event store's SQL: its schema and the statements built from filters. Pure functions over
 * strings and arguments, no I/O, so the query plans can be read (and tested) in one place.
 *
 * Pages are newest first by `id` (keyset paging), not by `ts`: ids are unique and assigned in
 * insertion order, so a cursor never skips or repeats a row. Every SQLite index ends with the
 * rowid, so an index on `(type)` is an index on `(type, id)`: `WHERE type = ? AND id < ? ORDER BY
 * id DESC LIMIT n` is a range scan that stops after n rows. That is why the filter indexes are on
 * the column alone rather than `(column, ts)`; `ts` has its own index for the time filters and
 * age pruning.
 */
import type { NodeEvent, NodeEventType, PacketDirection } from '../../types/index.js';

export const SCHEMA_SQL = [
  `CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts INTEGER NOT NULL,
    type TEXT NOT NULL,
    peer_id TEXT,
    direction TEXT,
    packet_id TEXT,
    packet_key INTEGER,
    code TEXT,
    json TEXT NOT NULL
  )`,
  'CREATE INDEX IF NOT EXISTS events_ts ON events(ts)',
  'CREATE INDEX IF NOT EXISTS events_type ON events(type)',
  'CREATE INDEX IF NOT EXISTS events_peer ON events(peer_id) WHERE peer_id IS NOT NULL',
  // The Explorer's most common narrowing: one peer's rejects (or fulfills).
  'CREATE INDEX IF NOT EXISTS events_peer_type ON events(peer_id, type) WHERE peer_id IS NOT NULL',
  // Packet ids are random (conditions): an index on the 64-character text costs 4x the insert
  // time of all other indexes together; one on its first 52 bits as an integer does not.
  'CREATE INDEX IF NOT EXISTS events_packet ON events(packet_key) WHERE packet_key IS NOT NULL',
  // Rejects by code, and by code and direction, answered from the index alone.
  'DROP INDEX IF EXISTS events_code',
  'CREATE INDEX IF NOT EXISTS events_code_direction ON events(code, direction) WHERE code IS NOT NULL',
];

export const COLUMNS_PER_ROW = 9;
/** Rows per INSERT statement: 900 parameters, below SQLite's oldest limit of 999. */
export const ROWS_PER_INSERT = 100;

export type SqlArg = string | number | null;

export interface Statement {
  sql: string;
  args: SqlArg[];
}

/** The INSERT of `rows` events: one statement text per row count, so it can be prepared once. */
export function insertSql(rows: number): string {
  const row = `(${new Array(COLUMNS_PER_ROW).fill('?').join(',')})`;
  return `INSERT INTO events (id, ts, type, peer_id, direction, packet_id, packet_key, code, json) VALUES ${new Array(rows).fill(row).join(',')}`;
}

/** An event's columns, in insertSql's order; the JSON holds every field but the id. */
export function pushInsertArgs(args: SqlArg[], e: NodeEvent, id: number): void {
  const { id: _unstored, ...rest } = e;
  args.push(
    id,
    e.ts,
    e.type,
    e.peerId ?? null,
    e.direction ?? null,
    e.packetId ?? null,
    e.packetId === undefined ? null : packetKey(e.packetId),
    e.code ?? null,
    JSON.stringify(rest),
  );
}

const KEY_HEX_DIGITS = 13;
const HEX_PREFIX = /^[0-9a-f]{13}/;

/** The first 52 bits of a (lowercase hex) packet id, exact in a JS number; null when not hex. */
export function packetKey(packetId: string): number | null {
  return HEX_PREFIX.test(packetId) ? Number.parseInt(packetId.slice(0, KEY_HEX_DIGITS), 16) : null;
}

export interface EventFilters {
  /** Any of these types; empty or absent: every type. */
  types?: readonly NodeEventType[];
  /** ts >= since (ms). */
  since?: number;
  /** ts <= until (ms). */
  until?: number;
  peerId?: string;
  packetId?: string;
  direction?: PacketDirection;
  code?: string;
}

export interface PageRequest extends EventFilters {
  /** 1..MAX_PAGE_LIMIT. */
  limit: number;
  /** Events with an id below this one (the previous page's nextCursor). Exclusive with offset. */
  cursor?: number;
  /** Rows to skip, 0..MAX_PAGE_OFFSET. */
  offset?: number;
}

export const MAX_PAGE_LIMIT = 1000;
export const MAX_PAGE_OFFSET = 100_000;

/** The WHERE clause of the filters (no cursor): shared by the page and its total. */
export function whereOf(filters: EventFilters): Statement {
  const terms: string[] = [];
  const args: SqlArg[] = [];
  const types = filters.types ?? [];
  if (types.length === 1) {
    terms.push('type = ?');
    args.push(types[0]!);
  } else if (types.length > 1) {
    // One placeholder for any number of types: the statement text (and its cache entry) stays one.
    terms.push('type IN (SELECT value FROM json_each(?))');
    args.push(JSON.stringify(types));
  }
  if (filters.packetId !== undefined) {
    const key = packetKey(filters.packetId);
    if (key !== null) {
      terms.push('packet_key = ?');
      args.push(key);
    }
  }
  const equal: [string, SqlArg | undefined][] = [
    ['peer_id', filters.peerId],
    ['packet_id', filters.packetId],
    ['direction', filters.direction],
    ['code', filters.code],
  ];
  for (const [column, value] of equal) {
    if (value === undefined) continue;
    terms.push(`${column} = ?`);
    args.push(value);
  }
  if (filters.since !== undefined) {
    terms.push('ts >= ?');
    args.push(filters.since);
  }
  if (filters.until !== undefined) {
    terms.push('ts <= ?');
    args.push(filters.until);
  }
  return { sql: terms.join(' AND '), args };
}

function and(...clauses: string[]): string {
  const present = clauses.filter((c) => c !== '');
  return present.length === 0 ? '' : ` WHERE ${present.join(' AND ')}`;
}

/**
 * One row more than the limit, so the page knows whether another follows. The rows come back as
 * ONE value (`page`: the events' JSON with their ids, joined by commas, newest first) read with
 * a single-row `get()`: libsql's multi-row `all()` leaks about 1 KB of native memory per call
 * (measured, libsql 0.5.29), a single-row read does not.
 */
export function pageStatement(request: PageRequest): Statement {
  const where = whereOf(request);
  const args = [...where.args];
  let keyset = '';
  if (request.cursor !== undefined) {
    keyset = 'id < ?';
    args.push(request.cursor);
  }
  args.push(request.limit + 1, request.offset ?? 0);
  // Stored JSON is an object without id and never empty (ts, type): '{"id":N,' + its tail.
  const row = `'{"id":' || id || ',' || substr(json, 2)`;
  const inner = `SELECT id, ${row} AS row FROM events${and(where.sql, keyset)} ORDER BY id DESC LIMIT ? OFFSET ?`;
  return {
    sql: `SELECT COUNT(*) AS n, group_concat(row, ',' ORDER BY id DESC) AS page FROM (${inner})`,
    args,
  };
}

/** Counts the matches up to `limit` + 1 (one more tells that the count stopped). */
export function countStatement(filters: EventFilters, limit: number): Statement {
  const where = whereOf(filters);
  return {
    sql: `SELECT COUNT(*) AS n FROM (SELECT 1 FROM events${and(where.sql)} LIMIT ?)`,
    args: [...where.args, limit + 1],
  };
}

export function hasFilters(filters: EventFilters): boolean {
  return whereOf(filters).sql !== '';
}
