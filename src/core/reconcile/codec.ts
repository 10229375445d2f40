/**
 * The bytes of reconciliation (docs/settlement.md, "In-flight packets across a crash"):
 * - the tag of an in-flight hold (what the ledger keeps opaque): the packet as it left, to ask
 *   the next hop about it, and as it came in, to answer the upstream peer;
 * - a memo: a fulfillment this node passed on to a peer, keyed by the packet as that peer sent it;
 * - the `ilp-fulfillment-query` BTP sub-protocol: a peer asks, by (condition, expiry, amount) of
 *   Prepares it sent us, which we fulfilled.
 * All big-endian; peer ids u8-length-prefixed UTF-8. Decoding is strict and bounded.
 */
import { Reader } from '../../codec/reader.js';
import { decodeUtf8At } from '../../codec/text.js';
import { CodecError } from '../../utils/errors.js';

export const FULFILLMENT_QUERY_SUB_PROTOCOL = 'ilp-fulfillment-query';
export const MAX_QUERY_ENTRIES = 256;
const HASH_BYTES = 32;
const ENTRY_BYTES = HASH_BYTES + 8 + 8;
const VERSION = 1;
/** Tag flag: the upstream peer was already answered (a reject), so the loss is ours, not theirs. */
export const ANSWERED_UPSTREAM = 1;

/** The Prepare as a peer sent it: what both sides can name it by. */
export interface PacketKey {
  condition: Uint8Array;
  expiresAtMs: number;
  amount: bigint;
}

export interface InFlightTag {
  flags: number;
  /** The next hop and the Prepare as it left. */
  peerId: string;
  out: PacketKey;
  /** The upstream peer and its Prepare's expiry and amount; undefined when this node sent it. */
  sourceId: string | undefined;
  inExpiresAtMs: number;
  inAmount: bigint;
}

export interface Memo {
  /** Who we passed the fulfillment to, and the packet as that peer sent it. */
  peerId: string;
  key: PacketKey;
  fulfillment: Uint8Array;
}

export const QUERY_STATUS = { unknown: 0, fulfilled: 1, pending: 2 } as const;
export type QueryAnswer =
  | { status: typeof QUERY_STATUS.unknown | typeof QUERY_STATUS.pending }
  | { status: typeof QUERY_STATUS.fulfilled; fulfillment: Uint8Array };

const utf8 = new TextEncoder();
/** Peer ids are few: encode each once (bounded: a map of at most 1,024, then no caching). */
const encodedIds = new Map<string, Uint8Array>();
function idBytes(id: string): Uint8Array {
  let bytes = encodedIds.get(id);
  if (bytes === undefined) {
    bytes = utf8.encode(id);
    if (encodedIds.size < 1024) encodedIds.set(id, bytes);
  }
  return bytes;
}

export function encodeTag(t: InFlightTag): Uint8Array {
  const peer = idBytes(t.peerId);
  const source = idBytes(t.sourceId ?? '');
  const w = new Writer(2 + ENTRY_BYTES + 16 + 2 + peer.length + source.length);
  w.u8(VERSION).u8(t.flags).key(t.out).u64(t.inExpiresAtMs).amount(t.inAmount).text(peer).text(source);
  return w.bytes;
}

export function decodeTag(bytes: Uint8Array): InFlightTag {
  const r = new Reader(bytes);
  version(r);
  const flags = r.readUInt8();
  const out = key(r);
  const inExpiresAtMs = r.readUInt64Number('expiry');
  const inAmount = r.readUInt64();
  const peerId = text(r);
  const source = text(r);
  r.done('a tag');
  return { flags, peerId, out, sourceId: source === '' ? undefined : source, inExpiresAtMs, inAmount };
}

export function encodeMemo(m: Memo): Uint8Array {
  const peer = idBytes(m.peerId);
  const w = new Writer(1 + ENTRY_BYTES + HASH_BYTES + 1 + peer.length);
  w.u8(VERSION).key(m.key).hash(m.fulfillment).text(peer);
  return w.bytes;
}

export function decodeMemo(bytes: Uint8Array): Memo {
  const r = new Reader(bytes);
  version(r);
  const packet = key(r);
  const fulfillment = hash(r);
  const peerId = text(r);
  r.done('a memo');
  return { peerId, key: packet, fulfillment };
}

export function encodeQuery(keys: readonly PacketKey[]): Uint8Array {
  if (keys.length > MAX_QUERY_ENTRIES) throw new RangeError(`at most ${MAX_QUERY_ENTRIES} keys per query`);
  const w = new Writer(2 + keys.length * ENTRY_BYTES);
  w.u16(keys.length);
  for (const k of keys) w.key(k);
  return w.bytes;
}

export function decodeQuery(bytes: Uint8Array): PacketKey[] {
  const r = new Reader(bytes);
  const count = r.readUInt16();
  if (count > MAX_QUERY_ENTRIES) throw new CodecError(`query of ${count} keys`, 0);
  const keys: PacketKey[] = [];
  for (let i = 0; i < count; i++) keys.push(key(r));
  r.done('a query');
  return keys;
}

export function encodeAnswers(answers: readonly QueryAnswer[]): Uint8Array {
  let size = 2;
  for (const a of answers) size += a.status === QUERY_STATUS.fulfilled ? 1 + HASH_BYTES : 1;
  const w = new Writer(size);
  w.u16(answers.length);
  for (const a of answers) {
    w.u8(a.status);
    if (a.status === QUERY_STATUS.fulfilled) w.hash(a.fulfillment);
  }
  return w.bytes;
}

export function decodeAnswers(bytes: Uint8Array, expected: number): QueryAnswer[] {
  const r = new Reader(bytes);
  const count = r.readUInt16();
  if (count !== expected) throw new CodecError(`${count} answers to ${expected} keys`, 0);
  const answers: QueryAnswer[] = [];
  for (let i = 0; i < count; i++) {
    const status = r.readUInt8();
    if (status === QUERY_STATUS.fulfilled) answers.push({ status, fulfillment: hash(r) });
    else if (status === QUERY_STATUS.unknown || status === QUERY_STATUS.pending) answers.push({ status });
    else throw new CodecError(`unknown answer status ${status}`, 0);
  }
  r.done('answers');
  return answers;
}

/** The key as a Map key: condition, expiry and amount. */
export function keyString(k: PacketKey): string {
  return `${Buffer.from(k.condition.buffer, k.condition.byteOffset, k.condition.byteLength).toString('hex')}:${k.expiresAtMs}:${k.amount}`;
}

class Writer {
  readonly bytes: Uint8Array;
  readonly #view: DataView;
  #at = 0;

  constructor(size: number) {
    // From Node's pool, not an ArrayBuffer of its own each (a tag is encoded per packet); every
    // byte is written.
    this.bytes = Buffer.allocUnsafe(size);
    this.#view = new DataView(this.bytes.buffer, this.bytes.byteOffset, size);
  }

  u8(v: number): this {
    this.#view.setUint8(this.#at++, v);
    return this;
  }

  u16(v: number): this {
    this.#view.setUint16(this.#at, v);
    this.#at += 2;
    return this;
  }

  /** Two u32 halves: no BigInt allocated per packet. */
  u64(v: number): this {
    this.#view.setUint32(this.#at, Math.floor(v / 0x1_0000_0000));
    this.#view.setUint32(this.#at + 4, v >>> 0);
    this.#at += 8;
    return this;
  }

  amount(v: bigint): this {
    this.#view.setBigUint64(this.#at, v);
    this.#at += 8;
    return this;
  }

  hash(v: Uint8Array): this {
    if (v.length !== HASH_BYTES) throw new RangeError('a condition or fulfillment is 32 bytes');
    this.bytes.set(v, this.#at);
    this.#at += HASH_BYTES;
    return this;
  }

  key(k: PacketKey): this {
    return this.hash(k.condition).u64(k.expiresAtMs).amount(k.amount);
  }

  text(v: Uint8Array): this {
    if (v.length > 255) throw new RangeError('peer id longer than 255 bytes');
    this.u8(v.length);
    this.bytes.set(v, this.#at);
    this.#at += v.length;
    return this;
  }
}

function version(r: Reader): void {
  const v = r.readUInt8();
  if (v !== VERSION) throw new CodecError(`unknown version ${v}`, r.offset - 1);
}

/** A copy (a Buffer's `slice` would be a view of a buffer its owner may reuse). */
function hash(r: Reader): Uint8Array {
  return new Uint8Array(r.readOctetString(HASH_BYTES));
}

function key(r: Reader): PacketKey {
  return { condition: hash(r), expiresAtMs: r.readUInt64Number('expiry'), amount: r.readUInt64() };
}

/** A u8-length-prefixed UTF-8 peer id. */
function text(r: Reader): string {
  const length = r.readUInt8();
  const at = r.take(length);
  return decodeUtf8At(r.bytes, at, at + length, 'peer id');
}
