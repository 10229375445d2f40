/**
 * Timestamps. ILP Prepare expiry (RFC 27) is a fixed 17-character "YYYYMMDDHHmmssfff" in UTC.
 * BTP Error triggeredAt (RFC 23) is an ASN.1 GeneralizedTime: written as "YYYYMMDDHHmmss.fffZ",
 * read at any valid precision.
 */
import { CodecError } from '../utils/errors.js';

export const ILP_TIMESTAMP_LENGTH = 17;

function digit(bytes: Uint8Array, at: number, base: number): number {
  const c = bytes[at]! - 48;
  if (c < 0 || c > 9) throw new CodecError('timestamp contains a non-digit', base + at);
  return c;
}

function digits(bytes: Uint8Array, at: number, count: number, base: number): number {
  let value = 0;
  for (let i = 0; i < count; i++) value = value * 10 + digit(bytes, at + i, base);
  return value;
}

function utcMs(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number, at: number): number {
  const t = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  const check = new Date(t);
  // Date.UTC normalises overflow (month 13, Feb 30): a round trip detects an impossible date.
  if (
    mo < 1 ||
    check.getUTCFullYear() !== y ||
    check.getUTCMonth() !== mo - 1 ||
    check.getUTCDate() !== d ||
    h > 23 ||
    mi > 59 ||
    s > 59
  ) {
    throw new CodecError('timestamp is not a valid date', at);
  }
  return t;
}

export function readIlpTimestamp(bytes: Uint8Array, base = 0): number {
  if (bytes.length !== ILP_TIMESTAMP_LENGTH) throw new CodecError('ILP timestamp must be 17 bytes', base);
  return utcMs(
    digits(bytes, 0, 4, base),
    digits(bytes, 4, 2, base),
    digits(bytes, 6, 2, base),
    digits(bytes, 8, 2, base),
    digits(bytes, 10, 2, base),
    digits(bytes, 12, 2, base),
    digits(bytes, 14, 3, base),
    base,
  );
}

/** Writes the 17 ASCII digits of `ms` (UTC) into `out` at `at`. */
export function writeIlpTimestamp(ms: number, out: Uint8Array, at: number): void {
  if (!Number.isFinite(ms)) throw new CodecError('expiry is not a valid date');
  const d = new Date(ms);
  const year = d.getUTCFullYear();
  if (year < 0 || year > 9999) throw new CodecError(`expiry year ${year} cannot be encoded`);
  put(out, at, year, 4);
  put(out, at + 4, d.getUTCMonth() + 1, 2);
  put(out, at + 6, d.getUTCDate(), 2);
  put(out, at + 8, d.getUTCHours(), 2);
  put(out, at + 10, d.getUTCMinutes(), 2);
  put(out, at + 12, d.getUTCSeconds(), 2);
  put(out, at + 14, d.getUTCMilliseconds(), 3);
}

function put(out: Uint8Array, at: number, value: number, width: number): void {
  for (let i = width - 1; i >= 0; i--) {
    out[at + i] = 48 + (value % 10);
    value = Math.floor(value / 10);
  }
}

const GENERALIZED_TIME_REGEX = /^(\d{4})(\d{2})(\d{2})(\d{2})(?:(\d{2})(?:(\d{2})(?:[.,](\d{1,9}))?)?)?(Z)?$/;

/** Reads a GeneralizedTime at any precision ("YYYYMMDDHH[mm[ss[.f+]]][Z]"); local time is read as UTC. */
export function readGeneralizedTime(text: string, at = 0): Date {
  const m = GENERALIZED_TIME_REGEX.exec(text);
  if (!m) throw new CodecError(`invalid GeneralizedTime "${text}"`, at);
  const fraction = m[7] ?? '';
  const ms = fraction === '' ? 0 : Math.floor(Number(`0.${fraction}`) * 1000);
  const t = utcMs(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5] ?? 0), Number(m[6] ?? 0), ms, at);
  return new Date(t);
}

export function writeGeneralizedTime(date: Date): string {
  const iso = date.toISOString(); // YYYY-MM-DDTHH:mm:ss.sssZ
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 23)}Z`;
}
