/**
 * Strict parsing of the Explorer's query strings. Every value arrives as a string; anything but
 * the documented form (a repeated parameter, an unknown one, `1e3`, `+5`, an unknown type) is a
 * `BadParameter` naming the parameter, which the server answers with 400.
 */
import { NODE_EVENT_TYPES, type NodeEventType, type PacketDirection } from '../../types/index.js';
import { STATS_SECONDS } from './recorder.js';
import { MAX_PAGE_LIMIT, MAX_PAGE_OFFSET, type PageRequest } from './store-sql.js';

export class BadParameter extends Error {
  constructor(
    readonly parameter: string,
    problem: string,
  ) {
    super(`${parameter}: ${problem}`);
  }
}

type Query = Record<string, unknown>;

const KNOWN_TYPES: ReadonlySet<string> = new Set(NODE_EVENT_TYPES);
const DIGITS = /^\d{1,16}$/;
const PACKET_ID = /^[0-9a-fA-F]{64}$/;
/** Peer ids, reject codes and claim refusal reasons: short, printable, no separators. */
const TOKEN = /^[A-Za-z0-9._:-]{1,128}$/;
const MAX_TIME_MS = 8_640_000_000_000_000;
export const DEFAULT_PAGE_LIMIT = 100;
export const DEFAULT_STATS_WINDOW = 60;
/** `key` is the API key on the page and the WebSocket (auth.ts), allowed everywhere. */
const ALWAYS_ALLOWED = ['key'];

function only(query: Query, allowed: readonly string[]): void {
  for (const name of Object.keys(query)) {
    if (!allowed.includes(name) && !ALWAYS_ALLOWED.includes(name))
      throw new BadParameter(name, 'unknown parameter');
  }
}

function text(query: Query, name: string): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new BadParameter(name, 'given more than once');
  return value;
}

function integer(query: Query, name: string, min: number, max: number): number | undefined {
  const value = text(query, name);
  if (value === undefined) return undefined;
  const n = DIGITS.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw new BadParameter(name, `must be an integer from ${min} to ${max}`);
  return n;
}

function token(query: Query, name: string): string | undefined {
  const value = text(query, name);
  if (value !== undefined && !TOKEN.test(value))
    throw new BadParameter(name, 'must be 1 to 128 characters of A-Z a-z 0-9 . _ : -');
  return value;
}

function types(query: Query): NodeEventType[] | undefined {
  const value = text(query, 'types');
  if (value === undefined) return undefined;
  const list = value.split(',');
  for (const t of list)
    if (!KNOWN_TYPES.has(t)) throw new BadParameter('types', `unknown type ${JSON.stringify(t)}`);
  return [...new Set(list)] as NodeEventType[];
}

function direction(query: Query): PacketDirection | undefined {
  const value = text(query, 'direction');
  if (value === undefined || value === 'incoming' || value === 'outgoing') return value;
  throw new BadParameter('direction', 'must be incoming or outgoing');
}

function packetId(query: Query): string | undefined {
  const value = text(query, 'packetId');
  if (value === undefined) return undefined;
  if (!PACKET_ID.test(value)) throw new BadParameter('packetId', 'must be 64 hex digits (the condition)');
  return value.toLowerCase();
}

const EVENT_PARAMS = [
  'types',
  'since',
  'until',
  'peerId',
  'packetId',
  'direction',
  'code',
  'limit',
  'cursor',
  'offset',
];

/** `GET /api/events`. */
export function parseEventsQuery(query: Query): PageRequest {
  only(query, EVENT_PARAMS);
  const request: PageRequest = {
    limit: integer(query, 'limit', 1, MAX_PAGE_LIMIT) ?? DEFAULT_PAGE_LIMIT,
  };
  const fields = {
    types: types(query),
    since: integer(query, 'since', 0, MAX_TIME_MS),
    until: integer(query, 'until', 0, MAX_TIME_MS),
    peerId: token(query, 'peerId'),
    packetId: packetId(query),
    direction: direction(query),
    code: token(query, 'code'),
    cursor: integer(query, 'cursor', 1, Number.MAX_SAFE_INTEGER),
    offset: integer(query, 'offset', 0, MAX_PAGE_OFFSET),
  };
  if (fields.since !== undefined && fields.until !== undefined && fields.since > fields.until)
    throw new BadParameter('until', 'must not be before since');
  if (fields.cursor !== undefined && fields.offset !== undefined)
    throw new BadParameter('offset', 'cannot be combined with cursor');
  for (const [name, value] of Object.entries(fields))
    if (value !== undefined) (request as unknown as Record<string, unknown>)[name] = value;
  return request;
}

/** `GET /api/stats`: the window in seconds. */
export function parseStatsQuery(query: Query): number {
  only(query, ['window']);
  return integer(query, 'window', 1, STATS_SECONDS) ?? DEFAULT_STATS_WINDOW;
}

/** Endpoints without parameters still refuse unknown ones, so a typo is not silently ignored. */
export function parseNoQuery(query: Query): void {
  only(query, []);
}
