/**
 * Writing OER (RFC 30): measure, allocate once, write. Encoders compute the exact size first;
 * `finish()` asserts the measurement was right.
 */
import { CodecError } from '../utils/errors.js';

export const MAX_UINT64 = 0xffff_ffff_ffff_ffffn;
const MAX_SAFE_BIGINT = BigInt(Number.MAX_SAFE_INTEGER);
const TWO_POW_32 = 0x1_0000_0000;

/** Bytes taken by the length determinant of `length` (RFC 30 §"Length determinant"). */
export function lengthOfLength(length: number): number {
  if (length < 0x80) return 1;
  if (length < 0x100) return 2;
  if (length < 0x10000) return 3;
  if (length < 0x1000000) return 4;
  return 5;
}

/** Minimal big-endian byte count of a non-negative safe integer (1 for 0). */
export function uintByteLength(value: number): number {
  let n = 1;
  for (let v = Math.floor(value / 256); v > 0; v = Math.floor(v / 256)) n++;
  return n;
}

export function varUIntByteLength(value: bigint): number {
  if (value <= MAX_SAFE_BIGINT) return uintByteLength(Number(value));
  let n = 1;
  for (let v = value >> 8n; v > 0n; v >>= 8n) n++;
  return n;
}

/**
 * Encoded packets are views into shared slabs, as with Buffer.allocUnsafe: a typed array over
 * 64 bytes gets its own off-heap ArrayBuffer, which costs more than encoding a Prepare. Users
 * must honour `byteOffset`/`byteLength` (never wrap `.buffer` whole), and a view pins its slab.
 * The Writer writes every byte it allocates (`finish` asserts it), so no stale bytes leak.
 */
const SLAB_SIZE = 32 * 1024;
const MAX_POOLED_SIZE = 4096;
let slab = new ArrayBuffer(SLAB_SIZE);
let slabOffset = 0;

export function allocate(size: number): Uint8Array {
  if (size > MAX_POOLED_SIZE) return new Uint8Array(size);
  if (slabOffset + size > SLAB_SIZE) {
    slab = new ArrayBuffer(SLAB_SIZE);
    slabOffset = 0;
  }
  const view = new Uint8Array(slab, slabOffset, size);
  slabOffset += (size + 7) & ~7; // keep views 8-byte aligned
  return view;
}

/**
 * Writes a UInt64 big-endian at `at`; the caller checked the range. Values below 2^53 take one
 * BigInt-to-double conversion instead of two BigInt shifts.
 */
export function writeUInt64At(out: Uint8Array, at: number, value: bigint): void {
  let hi: number;
  let lo: number;
  if (value <= MAX_SAFE_BIGINT) {
    const n = Number(value);
    hi = Math.floor(n / TWO_POW_32);
    lo = n - hi * TWO_POW_32;
  } else {
    hi = Number(value >> 32n);
    lo = Number(value & 0xffff_ffffn);
  }
  out[at] = hi >>> 24;
  out[at + 1] = (hi >>> 16) & 0xff;
  out[at + 2] = (hi >>> 8) & 0xff;
  out[at + 3] = hi & 0xff;
  out[at + 4] = lo >>> 24;
  out[at + 5] = (lo >>> 16) & 0xff;
  out[at + 6] = (lo >>> 8) & 0xff;
  out[at + 7] = lo & 0xff;
}

/**
 * Node's native string writers behind `buf.write(text, offset, length, encoding)`, called
 * directly as `latin1` in text.ts does (they accept any Uint8Array): 1.5x a JS loop for
 * ASCII, 3x TextEncoder for UTF-8. Looked up once, with fallbacks.
 */
type NativeWrite = (this: Uint8Array, text: string, offset: number, length: number) => number;
const nativeWrites = Buffer.prototype as unknown as { latin1Write?: NativeWrite; utf8Write?: NativeWrite };
const nativeLatin1Write = nativeWrites.latin1Write;
const nativeUtf8Write = nativeWrites.utf8Write;
const utf8Encoder = new TextEncoder();
const NATIVE_WRITE_MIN_LENGTH = 24;

export class Writer {
  readonly bytes: Uint8Array;
  offset: number;

  constructor(size: number) {
    this.bytes = allocate(size);
    this.offset = 0;
  }

  writeUInt8(value: number): void {
    this.bytes[this.offset++] = value;
  }

  writeUInt16(value: number): void {
    this.writeUIntN(value, 2);
  }

  writeUInt32(value: number): void {
    this.writeUIntN(value, 4);
  }

  writeUInt64(value: bigint): void {
    if (value < 0n || value > MAX_UINT64) throw new CodecError(`UInt64 out of range: ${value}`);
    writeUInt64At(this.bytes, this.offset, value);
    this.offset += 8;
  }

  /** The minimal determinant: short form below 128, else 0x80|n and n bytes (RFC 30). */
  writeLength(length: number): void {
    if (length < 0x80) {
      this.bytes[this.offset++] = length;
      return;
    }
    const n = lengthOfLength(length) - 1;
    this.bytes[this.offset++] = 0x80 | n;
    this.writeUIntN(length, n);
  }

  writeVarUInt(value: bigint): void {
    if (value < 0n || value > MAX_UINT64) throw new CodecError(`VarUInt out of range: ${value}`);
    const n = varUIntByteLength(value);
    this.writeLength(n);
    if (value <= MAX_SAFE_BIGINT) {
      this.writeUIntN(Number(value), n);
      return;
    }
    for (let i = n - 1; i >= 0; i--) this.bytes[this.offset++] = Number((value >> BigInt(8 * i)) & 0xffn);
  }

  /** A non-negative safe integer as a VarUInt (counts), without BigInt. */
  writeVarUIntNumber(value: number): void {
    const n = uintByteLength(value);
    this.writeLength(n);
    this.writeUIntN(value, n);
  }

  /** `value` (a safe integer) as `n` big-endian bytes. */
  private writeUIntN(value: number, n: number): void {
    for (let i = n - 1; i >= 0; i--) {
      const q = Math.floor(value / 256);
      this.bytes[this.offset + i] = value - q * 256;
      value = q;
    }
    this.offset += n;
  }

  writeOctetString(bytes: Uint8Array): void {
    this.bytes.set(bytes, this.offset);
    this.offset += bytes.length;
  }

  writeVarOctetString(bytes: Uint8Array): void {
    this.writeLength(bytes.length);
    this.writeOctetString(bytes);
  }

  /** Writes a string byte per char; callers validate the characters first. */
  writeAscii(text: string): void {
    // Below ~24 chars the call into native code costs more than the loop it saves.
    if (nativeLatin1Write !== undefined && text.length >= NATIVE_WRITE_MIN_LENGTH) {
      this.offset += nativeLatin1Write.call(this.bytes, text, this.offset, text.length);
      return;
    }
    for (let i = 0; i < text.length; i++) this.bytes[this.offset++] = text.charCodeAt(i);
  }

  writeVarAscii(text: string): void {
    this.writeLength(text.length);
    this.writeAscii(text);
  }

  /** Writes `text` as UTF-8 of `byteLength` bytes, measured by `utf8Length` (text.ts). */
  writeUtf8(text: string, byteLength: number): void {
    if (byteLength === text.length) {
      this.writeAscii(text);
    } else if (nativeUtf8Write !== undefined) {
      this.offset += nativeUtf8Write.call(this.bytes, text, this.offset, byteLength);
    } else {
      this.offset += utf8Encoder.encodeInto(text, this.bytes.subarray(this.offset)).written;
    }
  }

  writeVarUtf8(text: string, byteLength: number): void {
    this.writeLength(byteLength);
    this.writeUtf8(text, byteLength);
  }

  /** Returns the written bytes, asserting the measurement was exact. */
  finish(): Uint8Array {
    if (this.offset !== this.bytes.length) {
      throw new Error(`codec bug: measured ${this.bytes.length} bytes, wrote ${this.offset}`);
    }
    return this.bytes;
  }
}
