/**
 * Text fields: IA5String (addresses, codes, names: one char per byte) and UTF8String (reject
 * messages, asset codes, BTP error data), decoded strictly.
 */
import { CodecError } from '../utils/errors.js';

/**
 * Node's native one-char-per-byte decoder behind `buf.toString('latin1', start, end)`, called
 * directly: it accepts any Uint8Array and skips toString's argument juggling, which measured
 * a tenth of a Prepare decode. Undocumented, so it is looked up once with a public fallback.
 */
type Latin1Slice = (this: Uint8Array, start: number, end: number) => string;
const nativeLatin1Slice = (Buffer.prototype as unknown as { latin1Slice?: Latin1Slice }).latin1Slice;

/** `bytes[start..end)` as a string, one char per byte. */
export function latin1(bytes: Uint8Array, start: number, end: number): string {
  if (nativeLatin1Slice !== undefined) return nativeLatin1Slice.call(bytes, start, end);
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1');
}

/** True when every char is printable ASCII (0x20-0x7e), the subset of IA5String we accept. */
export function isPrintableAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

/** Decodes bytes that must be printable ASCII (IA5String subset used by ILP/BTP). */
export function decodeAscii(bytes: Uint8Array, what: string, offset: number): string {
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (c < 0x20 || c > 0x7e) throw new CodecError(`${what} contains a non-printable byte 0x${c.toString(16)}`, offset + i);
  }
  return latin1(bytes, 0, bytes.length);
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: true });
/**
 * Writes lone UTF-16 surrogates as U+FFFD rather than failing: a reject message is for humans,
 * and refusing to build a reject in the packet path would be worse than one replaced char.
 */
export const utf8Encoder = new TextEncoder();

/** Strict UTF-8 (overlongs, surrogates and truncated sequences refused); ASCII takes a fast path. */
export function decodeUtf8(bytes: Uint8Array, what: string, offset: number): string {
  let i = 0;
  while (i < bytes.length && bytes[i]! < 0x80) i++;
  if (i === bytes.length) return latin1(bytes, 0, bytes.length);
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    throw new CodecError(`${what} is not valid UTF-8`, offset);
  }
}
