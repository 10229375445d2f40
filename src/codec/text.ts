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

/** Up to this length a JS loop beats the call into native code (reject codes, short names). */
const SHORT_TEXT_LENGTH = 8;

/** `bytes[start..end)` as a string, one char per byte. */
export function latin1(bytes: Uint8Array, start: number, end: number): string {
  if (end - start <= SHORT_TEXT_LENGTH) {
    let text = '';
    for (let i = start; i < end; i++) text += String.fromCharCode(bytes[i]!);
    return text;
  }
  if (nativeLatin1Slice !== undefined) return nativeLatin1Slice.call(bytes, start, end);
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1');
}

/** A value for an error message, bounded so a huge bad input cannot make a huge message. */
export function quote(value: unknown): string {
  const text = JSON.stringify(typeof value === 'string' ? value.slice(0, 64) : String(value));
  return typeof value === 'string' && value.length > 64 ? `${text}...` : text;
}

/** True when `text` is exactly `bytes[at..at+length)` one char per byte, compared from the end. */
export function sameText(text: string, bytes: Uint8Array, at: number, length: number): boolean {
  if (text.length !== length) return false;
  for (let i = length - 1; i >= 0; i--) {
    if (text.charCodeAt(i) !== bytes[at + i]) return false;
  }
  return true;
}

/** True when every char is printable ASCII (0x20-0x7e), the subset of IA5String we accept. */
export function isPrintableAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

/** Index of the first byte of `bytes[start..end)` outside printable ASCII, or -1. */
function firstNonPrintable(bytes: Uint8Array, start: number, end: number): number {
  for (let i = start; i < end; i++) {
    const c = bytes[i]!;
    if (c < 0x20 || c > 0x7e) return i;
  }
  return -1;
}

/** `bytes[start..end)`, which must be printable ASCII (the IA5String subset ILP and BTP use). */
export function decodeAsciiAt(bytes: Uint8Array, start: number, end: number, what: string): string {
  const bad = firstNonPrintable(bytes, start, end);
  if (bad >= 0) throw new CodecError(`${what} contains the non-printable byte ${bytes[bad]}`, bad);
  return latin1(bytes, start, end);
}

/** Decodes bytes that must be printable ASCII; `offset` is where they sit in the packet. */
export function decodeAscii(bytes: Uint8Array, what: string, offset: number): string {
  const bad = firstNonPrintable(bytes, 0, bytes.length);
  if (bad >= 0) throw new CodecError(`${what} contains the non-printable byte ${bytes[bad]}`, offset + bad);
  return latin1(bytes, 0, bytes.length);
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: true });
/**
 * Encoders write lone UTF-16 surrogates as U+FFFD (as TextEncoder and Buffer do) rather than
 * failing: a reject message is for humans, and refusing to build a reject in the packet path
 * would be worse than one replaced char.
 */
export const utf8Encoder = new TextEncoder();

/**
 * Strict UTF-8 of `bytes[start..end)` (overlongs, surrogates and truncated sequences refused);
 * ASCII, the usual case, takes a fast path. `errorAt` locates a failure.
 */
export function decodeUtf8At(
  bytes: Uint8Array,
  start: number,
  end: number,
  what: string,
  errorAt = start,
): string {
  let i = start;
  while (i < end && bytes[i]! < 0x80) i++;
  if (i === end) return latin1(bytes, start, end);
  try {
    return utf8Decoder.decode(new Uint8Array(bytes.buffer, bytes.byteOffset + start, end - start));
  } catch {
    throw new CodecError(`${what} is not valid UTF-8`, errorAt);
  }
}

export function decodeUtf8(bytes: Uint8Array, what: string, offset: number): string {
  return decodeUtf8At(bytes, 0, bytes.length, what, offset);
}

/** UTF-8 byte length of `text` (lone surrogates count as the 3 bytes of U+FFFD, as written). */
export function utf8Length(text: string): number {
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) >= 0x80) return Buffer.byteLength(text, 'utf8');
  }
  return text.length;
}
