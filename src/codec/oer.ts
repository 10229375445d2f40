/**
 * Octet Encoding Rules as profiled by Interledger (RFC 30): fixed-width big-endian integers,
 * length determinants, variable-length unsigned integers and octet strings.
 *
 * The Reader is strict and canonical: length determinants and VarUInts must be minimal, nothing
 * may be read past `end`, and callers check `done()` to refuse trailing bytes. Octet strings are
 * returned as views (subarray), never copies.
 */
import { CodecError } from '../utils/errors.js';

export const MAX_UINT64 = 0xffff_ffff_ffff_ffffn;

export class Reader {
  readonly bytes: Uint8Array;
  offset: number;
  readonly end: number;

  constructor(bytes: Uint8Array, offset = 0, end = bytes.length) {
    this.bytes = bytes;
    this.offset = offset;
    this.end = end;
  }

  private need(n: number): void {
    if (this.offset + n > this.end) {
      throw new CodecError(`unexpected end of data: need ${n} more byte(s)`, this.offset);
    }
  }

  readUInt8(): number {
    this.need(1);
    return this.bytes[this.offset++]!;
  }

  readUInt16(): number {
    this.need(2);
    const b = this.bytes;
    const o = this.offset;
    this.offset = o + 2;
    return (b[o]! << 8) | b[o + 1]!;
  }

  readUInt32(): number {
    this.need(4);
    const b = this.bytes;
    const o = this.offset;
    this.offset = o + 4;
    return b[o]! * 0x1000000 + ((b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!);
  }

  readUInt64(): bigint {
    const hi = this.readUInt32();
    const lo = this.readUInt32();
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** RFC 30 length determinant: short form < 128, long form 0x80|n then n bytes, both minimal. */
  readLength(): number {
    const start = this.offset;
    const first = this.readUInt8();
    if (first < 0x80) return first;
    const n = first & 0x7f;
    if (n === 0) throw new CodecError('indefinite length is not allowed', start);
    if (n > 4) throw new CodecError(`length determinant of ${n} bytes is too large`, start);
    this.need(n);
    if (this.bytes[this.offset] === 0) throw new CodecError('length determinant is not minimal', start);
    let length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + this.bytes[this.offset++]!;
    if (length < 0x80) throw new CodecError('length determinant must use the short form', start);
    return length;
  }

  /** Variable-length unsigned integer (RFC 30 §2.4): minimal big-endian bytes, 0 is one 0x00 byte. */
  readVarUInt(): bigint {
    const start = this.offset;
    const length = this.readLength();
    if (length === 0) throw new CodecError('VarUInt of length 0', start);
    if (length > 8) throw new CodecError('VarUInt larger than 64 bits', start);
    this.need(length);
    if (length > 1 && this.bytes[this.offset] === 0) throw new CodecError('VarUInt is not minimal', start);
    let value = 0n;
    for (let i = 0; i < length; i++) value = (value << 8n) | BigInt(this.bytes[this.offset++]!);
    return value;
  }

  /** A VarUInt known to be small (counts): returned as a number, bounded by `max`. */
  readVarUIntNumber(max: number): number {
    const start = this.offset;
    const value = this.readVarUInt();
    if (value > BigInt(max)) throw new CodecError(`count ${value} exceeds the maximum ${max}`, start);
    return Number(value);
  }

  readOctetString(length: number): Uint8Array {
    this.need(length);
    const view = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return view;
  }

  readVarOctetString(maxLength = Number.MAX_SAFE_INTEGER): Uint8Array {
    const start = this.offset;
    const length = this.readLength();
    if (length > maxLength) {
      throw new CodecError(`octet string of ${length} bytes exceeds the maximum ${maxLength}`, start);
    }
    return this.readOctetString(length);
  }

  /** Reads a length-prefixed body and returns a Reader bounded to it. */
  readVarOctetReader(): Reader {
    const length = this.readLength();
    this.need(length);
    const sub = new Reader(this.bytes, this.offset, this.offset + length);
    this.offset += length;
    return sub;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  /** Refuses trailing bytes: every decoder calls this last. */
  done(what: string): void {
    if (this.offset !== this.end) {
      throw new CodecError(`${this.end - this.offset} trailing byte(s) after ${what}`, this.offset);
    }
  }
}

export function lengthOfLength(length: number): number {
  if (length < 0x80) return 1;
  if (length < 0x100) return 2;
  if (length < 0x10000) return 3;
  if (length < 0x1000000) return 4;
  return 5;
}

export function varUIntByteLength(value: bigint): number {
  let n = 1;
  for (let v = value >> 8n; v > 0n; v >>= 8n) n++;
  return n;
}

/** A writer over a buffer measured in advance: measure, allocate once, write. */
export class Writer {
  readonly bytes: Uint8Array;
  offset: number;

  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.offset = 0;
  }

  writeUInt8(value: number): void {
    this.bytes[this.offset++] = value;
  }

  writeUInt16(value: number): void {
    this.bytes[this.offset++] = value >>> 8;
    this.bytes[this.offset++] = value & 0xff;
  }

  writeUInt32(value: number): void {
    const b = this.bytes;
    b[this.offset++] = value >>> 24;
    b[this.offset++] = (value >>> 16) & 0xff;
    b[this.offset++] = (value >>> 8) & 0xff;
    b[this.offset++] = value & 0xff;
  }

  writeUInt64(value: bigint): void {
    if (value < 0n || value > MAX_UINT64) throw new CodecError(`UInt64 out of range: ${value}`);
    this.writeUInt32(Number(value >> 32n));
    this.writeUInt32(Number(value & 0xffff_ffffn));
  }

  writeLength(length: number): void {
    if (length < 0x80) {
      this.bytes[this.offset++] = length;
      return;
    }
    const n = lengthOfLength(length) - 1;
    this.bytes[this.offset++] = 0x80 | n;
    for (let i = n - 1; i >= 0; i--) this.bytes[this.offset++] = Math.floor(length / 256 ** i) & 0xff;
  }

  writeVarUInt(value: bigint): void {
    if (value < 0n || value > MAX_UINT64) throw new CodecError(`VarUInt out of range: ${value}`);
    const n = varUIntByteLength(value);
    this.writeLength(n);
    for (let i = n - 1; i >= 0; i--) this.bytes[this.offset++] = Number((value >> BigInt(8 * i)) & 0xffn);
  }

  writeOctetString(bytes: Uint8Array): void {
    this.bytes.set(bytes, this.offset);
    this.offset += bytes.length;
  }

  writeVarOctetString(bytes: Uint8Array): void {
    this.writeLength(bytes.length);
    this.writeOctetString(bytes);
  }

  /** Writes an ASCII string byte per char; callers validate the characters first. */
  writeAscii(text: string): void {
    for (let i = 0; i < text.length; i++) this.bytes[this.offset++] = text.charCodeAt(i);
  }

  /** Returns the written bytes, asserting the measurement was exact. */
  finish(): Uint8Array {
    if (this.offset !== this.bytes.length) {
      throw new Error(`codec bug: measured ${this.bytes.length} bytes, wrote ${this.offset}`);
    }
    return this.bytes;
  }
}

/** Decodes bytes that must be printable ASCII (IA5String subset used by ILP/BTP). */
export function decodeAscii(bytes: Uint8Array, what: string, offset: number): string {
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (c < 0x20 || c > 0x7e) throw new CodecError(`${what} contains a non-printable byte 0x${c.toString(16)}`, offset + i);
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: true });
export const utf8Encoder = new TextEncoder();

export function decodeUtf8(bytes: Uint8Array, what: string, offset: number): string {
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    throw new CodecError(`${what} is not valid UTF-8`, offset);
  }
}
