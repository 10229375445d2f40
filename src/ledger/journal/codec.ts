/**
 * The journal's record codec. A generation file is `JOURNAL_MAGIC` followed by frames:
 *
 *   u32 payload length | u32 CRC-32 of the payload | payload
 *
 * all big-endian. A payload is never empty (so a length of 0 is the reader's end marker: the zeros
 * of a preallocated file): it is a type byte and fields: ids and amounts u128, timeouts u64,
 * account ids u16-length-prefixed UTF-8. Decoding is strict: known type, known flags, well-formed
 * UTF-8, no trailing bytes.
 */
import { Reader } from '../../codec/reader.js';
import { decodeUtf8At } from '../../codec/text.js';
import { CodecError } from '../../utils/errors.js';
import { MAX_ACCOUNT_ID_LENGTH } from '../ledger.js';
import { crc32Range } from './crc32.js';

/** First bytes of every generation file ("ledger journal, format 1"). */
export const JOURNAL_MAGIC = Buffer.from('LEDGJRN1', 'latin1');
export const FRAME_HEADER_BYTES = 8;
/** A UTF-16 code unit takes at most 3 bytes of UTF-8 (a surrogate pair, 2 units, takes 4). */
const MAX_ACCOUNT_ID_BYTES = 3 * MAX_ACCOUNT_ID_LENGTH;
/** The largest payload is a recorded hold: 1 + 16 + 16 + 8 + 2 * (2 + 384) + 2 + 512 = 1,329 bytes. */
export const MAX_PAYLOAD_BYTES = 1536;
/** An in-flight record's tag or a memo's data: opaque to the ledger (core/ encodes them). */
export const MAX_TAG_BYTES = 512;
export const MAX_FRAME_BYTES = FRAME_HEADER_BYTES + MAX_PAYLOAD_BYTES;

export const RECORD_TYPE = {
  account: 1,
  transfer: 2,
  posted: 3,
  inFlight: 4,
  settled: 5,
  memo: 6,
  postedWithMemo: 7,
} as const;

/** createAccount or setLimits: the account exists with exactly these limits. */
export interface AccountRecord {
  readonly type: typeof RECORD_TYPE.account;
  readonly id: string;
  readonly debitLimit: bigint | undefined;
  readonly creditLimit: bigint | undefined;
}

/** A single-phase transfer (`timeoutMs` 0) or a posted hold (its original `timeoutMs`). */
export interface PostingRecord {
  readonly type: typeof RECORD_TYPE.transfer | typeof RECORD_TYPE.posted;
  /** A posted hold and a memo in one record (type 7): the memo exists iff the posting does. */
  readonly memo?: MemoRecord | undefined;
  readonly id: bigint;
  readonly debitAccount: string;
  readonly creditAccount: string;
  readonly amount: bigint;
  readonly timeoutMs: number;
}

/**
 * A hold whose outcome another node may know (its Prepare left): written before the Prepare
 * leaves. It stays open until posted, settled (`SettledRecord`), or booked by reconciliation (a
 * transfer with id `reconciledId(id)`).
 */
export interface InFlightRecord {
  readonly type: typeof RECORD_TYPE.inFlight;
  readonly id: bigint;
  readonly debitAccount: string;
  readonly creditAccount: string;
  readonly amount: bigint;
  readonly timeoutMs: number;
  /** What the caller needs to reconcile it (core/: the peer, condition, expiry). */
  readonly tag: Uint8Array;
}

/** The in-flight hold's outcome is final (a reject, or given up): nothing to reconcile. */
export interface SettledRecord {
  readonly type: typeof RECORD_TYPE.settled;
  readonly id: bigint;
}

/** Opaque data kept until `untilMs` (core/: a fulfillment this node passed on). */
export interface MemoRecord {
  readonly type: typeof RECORD_TYPE.memo;
  readonly untilMs: number;
  readonly data: Uint8Array;
}

export type JournalRecord = AccountRecord | PostingRecord | InFlightRecord | SettledRecord | MemoRecord;

/**
 * What a posting is encoded from: a `PostingRecord`, or the memory ledger's own record of it
 * (which has no `type`: `timeoutMs` 0 marks a single-phase transfer, as in a decoded record).
 */
export interface PostingFields {
  readonly memo?: MemoRecord | undefined;
  readonly id: bigint;
  readonly debitAccount: string;
  readonly creditAccount: string;
  readonly amount: bigint;
  readonly timeoutMs: number;
}

/** What the writer appends. */
export type EncodableRecord = AccountRecord | PostingFields | InFlightRecord | SettledRecord | MemoRecord;

const DEBIT_LIMIT_FLAG = 1;
const CREDIT_LIMIT_FLAG = 2;
const TWO_POW_32 = 0x1_0000_0000;

/**
 * Writes one frame at `start`; `buf` must have `MAX_FRAME_BYTES` free from there. Returns the
 * frame's length. Account ids were checked (length, well-formed) when the account was created.
 */
export function encodeRecord(buf: Buffer, start: number, record: EncodableRecord): number {
  return encodeRecordWith(buf, new DataView(buf.buffer, buf.byteOffset, buf.byteLength), start, record);
}

/** `encodeRecord` with a view of all of `buf`, made once per buffer by a caller that reuses it. */
export function encodeRecordWith(
  buf: Buffer,
  view: DataView,
  start: number,
  record: EncodableRecord,
): number {
  let at = start + FRAME_HEADER_BYTES;
  const type = (record as { type?: number }).type;
  if (type === RECORD_TYPE.inFlight) {
    const r = record as InFlightRecord;
    buf[at++] = type;
    at = writeU128(view, at, r.id);
    at = writeU128(view, at, r.amount);
    at = writeU64(view, at, r.timeoutMs);
    at = writeString(buf, view, at, r.debitAccount);
    at = writeString(buf, view, at, r.creditAccount);
    at = writeBytes(buf, view, at, r.tag);
  } else if (type === RECORD_TYPE.settled) {
    buf[at++] = type;
    at = writeU128(view, at, (record as SettledRecord).id);
  } else if (type === RECORD_TYPE.memo) {
    const r = record as MemoRecord;
    buf[at++] = type;
    at = writeU64(view, at, r.untilMs);
    at = writeBytes(buf, view, at, r.data);
  } else if (isAccountRecord(record)) {
    buf[at++] = RECORD_TYPE.account;
    const flags =
      (record.debitLimit === undefined ? 0 : DEBIT_LIMIT_FLAG) |
      (record.creditLimit === undefined ? 0 : CREDIT_LIMIT_FLAG);
    buf[at++] = flags;
    if (record.debitLimit !== undefined) at = writeU128(view, at, record.debitLimit);
    if (record.creditLimit !== undefined) at = writeU128(view, at, record.creditLimit);
    at = writeString(buf, view, at, record.id);
  } else {
    const posting = record as PostingFields;
    const { timeoutMs, memo } = posting;
    buf[at++] =
      timeoutMs === 0
        ? RECORD_TYPE.transfer
        : memo === undefined
          ? RECORD_TYPE.posted
          : RECORD_TYPE.postedWithMemo;
    at = writeU128(view, at, posting.id);
    at = writeU128(view, at, posting.amount);
    if (timeoutMs !== 0) at = writeU64(view, at, timeoutMs);
    at = writeString(buf, view, at, posting.debitAccount);
    at = writeString(buf, view, at, posting.creditAccount);
    if (timeoutMs !== 0 && memo !== undefined) {
      at = writeU64(view, at, memo.untilMs);
      at = writeBytes(buf, view, at, memo.data);
    }
  }
  view.setUint32(start, at - start - FRAME_HEADER_BYTES);
  view.setUint32(start + 4, crc32Range(buf, start + FRAME_HEADER_BYTES, at));
  return at - start;
}

function isAccountRecord(record: EncodableRecord): record is AccountRecord {
  return (record as Partial<AccountRecord>).type === RECORD_TYPE.account;
}

/** `setBigUint64` stores its argument modulo 2^64: the low half needs no mask (a third of the time). */
function writeU128(view: DataView, at: number, value: bigint): number {
  view.setBigUint64(at, value >> 64n);
  view.setBigUint64(at + 8, value);
  return at + 16;
}

function writeU64(view: DataView, at: number, value: number): number {
  view.setUint32(at, Math.floor(value / TWO_POW_32));
  view.setUint32(at + 4, value >>> 0);
  return at + 8;
}

/** u16 length, then the bytes; the caller keeps them within MAX_TAG_BYTES. */
function writeBytes(buf: Buffer, view: DataView, at: number, bytes: Uint8Array): number {
  view.setUint16(at, bytes.length);
  buf.set(bytes, at + 2);
  return at + 2 + bytes.length;
}

/** ASCII ids (the usual `peer:<name>`) are copied by hand: `buf.write` costs a native call. */
function writeString(buf: Buffer, view: DataView, at: number, value: string): number {
  const n = value.length;
  let i = 0;
  for (; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c >= 0x80) break;
    buf[at + 2 + i] = c;
  }
  const length = i === n ? n : buf.write(value, at + 2, MAX_ACCOUNT_ID_BYTES, 'utf8');
  view.setUint16(at, length);
  return at + 2 + length;
}

/** Decodes one payload (the bytes after the frame header, already checked against its CRC). */
export function decodeRecord(payload: Uint8Array): JournalRecord {
  const reader = new Reader(payload);
  const type = reader.readUInt8();
  let record: JournalRecord;
  if (type === RECORD_TYPE.account) {
    const flags = reader.readUInt8();
    if ((flags & ~(DEBIT_LIMIT_FLAG | CREDIT_LIMIT_FLAG)) !== 0) {
      throw new CodecError(`unknown account flags ${flags}`, 1);
    }
    const debitLimit = flags & DEBIT_LIMIT_FLAG ? reader.readUInt128() : undefined;
    const creditLimit = flags & CREDIT_LIMIT_FLAG ? reader.readUInt128() : undefined;
    record = { type, id: readAccountId(reader), debitLimit, creditLimit };
  } else if (type === RECORD_TYPE.transfer || type === RECORD_TYPE.posted) {
    const id = reader.readUInt128();
    const amount = reader.readUInt128();
    const timeoutMs = type === RECORD_TYPE.posted ? reader.readUInt64Number('timeout') : 0;
    const debitAccount = readAccountId(reader);
    const creditAccount = readAccountId(reader);
    record = { type, id, debitAccount, creditAccount, amount, timeoutMs };
  } else if (type === RECORD_TYPE.postedWithMemo) {
    const id = reader.readUInt128();
    const amount = reader.readUInt128();
    const timeoutMs = reader.readUInt64Number('timeout');
    const debitAccount = readAccountId(reader);
    const creditAccount = readAccountId(reader);
    const memo: MemoRecord = {
      type: RECORD_TYPE.memo,
      untilMs: reader.readUInt64Number('memo time'),
      data: readTag(reader),
    };
    record = { type: RECORD_TYPE.posted, id, debitAccount, creditAccount, amount, timeoutMs, memo };
  } else if (type === RECORD_TYPE.inFlight) {
    const id = reader.readUInt128();
    const amount = reader.readUInt128();
    const timeoutMs = reader.readUInt64Number('timeout');
    const debitAccount = readAccountId(reader);
    const creditAccount = readAccountId(reader);
    record = { type, id, amount, timeoutMs, debitAccount, creditAccount, tag: readTag(reader) };
  } else if (type === RECORD_TYPE.settled) {
    record = { type, id: reader.readUInt128() };
  } else if (type === RECORD_TYPE.memo) {
    const untilMs = reader.readUInt64Number('memo time');
    record = { type, untilMs, data: readTag(reader) };
  } else {
    throw new CodecError(`unknown record type ${type}`, 0);
  }
  reader.done('a journal record');
  return record;
}

/** A u16-length-prefixed UTF-8 account id, never empty. */
function readAccountId(reader: Reader): string {
  const lengthAt = reader.offset;
  const length = reader.readUInt16();
  if (length === 0 || length > MAX_ACCOUNT_ID_BYTES) {
    throw new CodecError(`account id of ${length} bytes`, lengthAt);
  }
  const at = reader.take(length);
  return decodeUtf8At(reader.bytes, at, at + length, 'account id');
}

/** A tag or memo: a copy (the reader's buffer is reused, and a Buffer's `slice` would be a view). */
function readTag(reader: Reader): Uint8Array {
  const lengthAt = reader.offset;
  const length = reader.readUInt16();
  if (length > MAX_TAG_BYTES) throw new CodecError(`tag of ${length} bytes`, lengthAt);
  return new Uint8Array(reader.readOctetString(length));
}
