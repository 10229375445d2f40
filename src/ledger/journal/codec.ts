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
import { CodecError } from '../../utils/errors.js';
import { MAX_ACCOUNT_ID_LENGTH } from '../ledger.js';
import { crc32Range } from './crc32.js';

/** First bytes of every generation file ("ledger journal, format 1"). */
export const JOURNAL_MAGIC = Buffer.from('LEDGJRN1', 'latin1');
export const FRAME_HEADER_BYTES = 8;
/** A UTF-16 code unit takes at most 3 bytes of UTF-8 (a surrogate pair, 2 units, takes 4). */
const MAX_ACCOUNT_ID_BYTES = 3 * MAX_ACCOUNT_ID_LENGTH;
/** The largest payload is a posted hold: 1 + 16 + 16 + 8 + 2 * (2 + 384) = 813 bytes. */
export const MAX_PAYLOAD_BYTES = 1024;
export const MAX_FRAME_BYTES = FRAME_HEADER_BYTES + MAX_PAYLOAD_BYTES;

export const RECORD_TYPE = { account: 1, transfer: 2, posted: 3 } as const;

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
  readonly id: bigint;
  readonly debitAccount: string;
  readonly creditAccount: string;
  readonly amount: bigint;
  readonly timeoutMs: number;
}

export type JournalRecord = AccountRecord | PostingRecord;

/**
 * What a posting is encoded from: a `PostingRecord`, or the memory ledger's own record of it
 * (which has no `type`: `timeoutMs` 0 marks a single-phase transfer, as in a decoded record).
 */
export interface PostingFields {
  readonly id: bigint;
  readonly debitAccount: string;
  readonly creditAccount: string;
  readonly amount: bigint;
  readonly timeoutMs: number;
}

/** What the writer appends. */
export type EncodableRecord = AccountRecord | PostingFields;

const DEBIT_LIMIT_FLAG = 1;
const CREDIT_LIMIT_FLAG = 2;
const TWO_POW_32 = 0x1_0000_0000;
const utf8 = new TextDecoder('utf-8', { fatal: true });

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
  if (isAccountRecord(record)) {
    buf[at++] = RECORD_TYPE.account;
    const flags =
      (record.debitLimit === undefined ? 0 : DEBIT_LIMIT_FLAG) |
      (record.creditLimit === undefined ? 0 : CREDIT_LIMIT_FLAG);
    buf[at++] = flags;
    if (record.debitLimit !== undefined) at = writeU128(view, at, record.debitLimit);
    if (record.creditLimit !== undefined) at = writeU128(view, at, record.creditLimit);
    at = writeString(buf, view, at, record.id);
  } else {
    const { timeoutMs } = record;
    buf[at++] = timeoutMs === 0 ? RECORD_TYPE.transfer : RECORD_TYPE.posted;
    at = writeU128(view, at, record.id);
    at = writeU128(view, at, record.amount);
    if (timeoutMs !== 0) {
      view.setUint32(at, Math.floor(timeoutMs / TWO_POW_32));
      view.setUint32(at + 4, timeoutMs >>> 0);
      at += 8;
    }
    at = writeString(buf, view, at, record.debitAccount);
    at = writeString(buf, view, at, record.creditAccount);
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
  const reader = new PayloadReader(payload);
  const type = reader.u8();
  let record: JournalRecord;
  if (type === RECORD_TYPE.account) {
    const flags = reader.u8();
    if ((flags & ~(DEBIT_LIMIT_FLAG | CREDIT_LIMIT_FLAG)) !== 0) {
      throw new CodecError(`unknown account flags ${flags}`, 1);
    }
    const debitLimit = flags & DEBIT_LIMIT_FLAG ? reader.u128() : undefined;
    const creditLimit = flags & CREDIT_LIMIT_FLAG ? reader.u128() : undefined;
    record = { type, id: reader.string(), debitLimit, creditLimit };
  } else if (type === RECORD_TYPE.transfer || type === RECORD_TYPE.posted) {
    const id = reader.u128();
    const amount = reader.u128();
    const timeoutMs = type === RECORD_TYPE.posted ? reader.u64AsNumber() : 0;
    const debitAccount = reader.string();
    const creditAccount = reader.string();
    record = { type, id, debitAccount, creditAccount, amount, timeoutMs };
  } else {
    throw new CodecError(`unknown record type ${type}`, 0);
  }
  reader.end();
  return record;
}

/** A cursor over one payload; every read is bounds-checked. */
class PayloadReader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  #at = 0;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  u8(): number {
    return this.#view.getUint8(this.#take(1));
  }

  u128(): bigint {
    const at = this.#take(16);
    return (this.#view.getBigUint64(at) << 64n) | this.#view.getBigUint64(at + 8);
  }

  u64AsNumber(): number {
    const at = this.#take(8);
    const value = this.#view.getUint32(at) * TWO_POW_32 + this.#view.getUint32(at + 4);
    if (!Number.isSafeInteger(value)) throw new CodecError('timeout out of range', at);
    return value;
  }

  string(): string {
    const lengthAt = this.#at;
    const length = this.#view.getUint16(this.#take(2));
    if (length === 0 || length > MAX_ACCOUNT_ID_BYTES) {
      throw new CodecError(`account id of ${length} bytes`, lengthAt);
    }
    const at = this.#take(length);
    try {
      return utf8.decode(this.#bytes.subarray(at, at + length));
    } catch {
      throw new CodecError('account id is not UTF-8', at);
    }
  }

  end(): void {
    if (this.#at !== this.#bytes.length) {
      throw new CodecError(`${this.#bytes.length - this.#at} trailing bytes`, this.#at);
    }
  }

  #take(n: number): number {
    const at = this.#at;
    if (at + n > this.#bytes.length) throw new CodecError('record ends early', at);
    this.#at = at + n;
    return at;
  }
}
