/**
 * Timestamps (RFC 30 §"Fixed-length Timestamps" and §"Variable-length Timestamps").
 *
 * ILP Prepare expiry (RFC 27) is exactly 17 ASCII digits "YYYYMMDDHHmmssfff" in UTC. RFC 30
 * makes a decoder refuse anything else, including hour 24 and an unsmeared leap second (60).
 *
 * BTP Error triggeredAt (RFC 23) is an ASN.1 GeneralizedTime. We write "YYYYMMDDHHmmss.fffZ"
 * (DESIGN.md §5; exactly what btp-packet and ilp-plugin-btp write) and read, in UTC:
 *   YYYYMMDDHHmm[ss[.f|.ff|.fff]][Z]
 * Departures from RFC 30's list of strings to refuse, on purpose, so that real peers decode:
 * trailing zeros in the fraction (btp-packet always writes three digits), seconds left out
 * (X.680 reduced precision) and a missing "Z" (RFC 23 only says the time MUST be UTC).
 * Refused as RFC 30 says: "," as separator, more than 3 fraction digits, an empty fraction,
 * offsets (+hhmm), hour 24, impossible dates. A leap second (ss = 60, only after 23:59, which
 * RFC 30 says a reader MUST allow) reads as the next day's 00:00:00.fff, as POSIX time folds it.
 */
import { CodecError } from '../utils/errors.js';
import {
  civilFromDays,
  daysFromCivil,
  daysInMonth,
  MAX_FOUR_DIGIT_YEAR_MS,
  MIN_FOUR_DIGIT_YEAR_MS,
  MS_PER_DAY,
} from './calendar.js';

export const ILP_TIMESTAMP_LENGTH = 17;
/** Longest GeneralizedTime we read: "YYYYMMDDHHmmss.fffZ". */
export const MAX_GENERALIZED_TIME_LENGTH = 19;

const ZERO = 48;
const DOT = 46;
const LETTER_Z = 90;

/** `count` ASCII digits of `bytes` at `at` as a number, or -1 when any is not a digit. */
function digitsAt(bytes: Uint8Array, at: number, count: number): number {
  let value = 0;
  for (let i = 0; i < count; i++) {
    const d = bytes[at + i]! - ZERO;
    if (!(d >= 0 && d <= 9)) return -1;
    value = value * 10 + d;
  }
  return value;
}

/** The same over a string (GeneralizedTime is read from text). */
function textDigitsAt(text: string, at: number, count: number): number {
  let value = 0;
  for (let i = 0; i < count; i++) {
    const d = text.charCodeAt(at + i) - ZERO;
    if (!(d >= 0 && d <= 9)) return -1;
    value = value * 10 + d;
  }
  return value;
}

/** UTC ms of a date and time whose parts are in range, or NaN when the date does not exist. */
function toMs(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
): number {
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return Number.NaN;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0) return Number.NaN;
  return daysFromCivil(year, month, day) * MS_PER_DAY + hour * 3_600_000 + minute * 60_000 + second * 1000;
}

/**
 * Packets in flight expire on the same day, so the calendar work for "YYYYMMDD" is done once
 * per day on each side: the last date read (its 8 digits and start of day) and the last date
 * written. Only valid dates enter the caches.
 */
const readDigits = new Uint8Array(8);
let readDayMs = Number.NaN;
const writtenDigits = new Uint8Array(8);
let writtenDayMs = Number.NaN;

/** Start of the day, in UTC ms, of the "YYYYMMDD" at `bytes[at]`, or NaN when invalid. */
function readDay(bytes: Uint8Array, at: number): number {
  let i = 0;
  while (i < 8 && bytes[at + i] === readDigits[i]) i++;
  if (i === 8) return readDayMs;
  const year = digitsAt(bytes, at, 4);
  const dayMs = toMs(year, digitsAt(bytes, at + 4, 2), digitsAt(bytes, at + 6, 2), 0, 0, 0);
  if (!Number.isNaN(dayMs)) {
    readDigits.set(bytes.subarray(at, at + 8));
    readDayMs = dayMs;
  }
  return dayMs;
}

/**
 * Reads the 17-digit ILP timestamp at `bytes[at]` (callers check 17 bytes are there) as UTC ms;
 * `errorAt` is the packet offset reported when it is invalid.
 */
export function readIlpTimestampAt(bytes: Uint8Array, at: number, errorAt = at): number {
  const hour = digitsAt(bytes, at + 8, 2);
  const minute = digitsAt(bytes, at + 10, 2);
  const second = digitsAt(bytes, at + 12, 2);
  const millis = digitsAt(bytes, at + 14, 3);
  const dayMs = readDay(bytes, at);
  if (
    Number.isNaN(dayMs) ||
    hour < 0 ||
    hour > 23 ||
    minute < 0 ||
    minute > 59 ||
    second < 0 ||
    second > 59 ||
    millis < 0
  ) {
    throw new CodecError('ILP timestamp must be 17 digits of a valid UTC date and time', errorAt);
  }
  return dayMs + hour * 3_600_000 + minute * 60_000 + second * 1000 + millis;
}

/** Reads a 17-byte ILP timestamp; `base` is its offset in the packet, for error messages. */
export function readIlpTimestamp(bytes: Uint8Array, base = 0): number {
  if (bytes.length !== ILP_TIMESTAMP_LENGTH) throw new CodecError('ILP timestamp must be 17 bytes', base);
  return readIlpTimestampAt(bytes, 0, base);
}

function checkEncodable(ms: number, what: string): void {
  if (!Number.isFinite(ms) || ms < MIN_FOUR_DIGIT_YEAR_MS || ms > MAX_FOUR_DIGIT_YEAR_MS) {
    throw new CodecError(`${what} must be a date in the years 0000-9999, got ${ms}`);
  }
}

function putDigits(out: Uint8Array, at: number, value: number, width: number): void {
  for (let i = width - 1; i >= 0; i--) {
    const q = Math.floor(value / 10);
    out[at + i] = ZERO + value - q * 10;
    value = q;
  }
}

/** Writes the 17 ASCII digits of `ms` (UTC, fractions of a millisecond dropped) into `out` at `at`. */
export function writeIlpTimestamp(ms: number, out: Uint8Array, at: number): void {
  checkEncodable(ms, 'expiry');
  const whole = Math.floor(ms);
  const dayMs = Math.floor(whole / MS_PER_DAY) * MS_PER_DAY;
  if (dayMs !== writtenDayMs) {
    const t = civilFromDays(dayMs / MS_PER_DAY);
    putDigits(writtenDigits, 0, t.year, 4);
    putDigits(writtenDigits, 4, t.month, 2);
    putDigits(writtenDigits, 6, t.day, 2);
    writtenDayMs = dayMs;
  }
  for (let i = 0; i < 8; i++) out[at + i] = writtenDigits[i]!;
  let rest = whole - dayMs;
  const hour = Math.floor(rest / 3_600_000);
  rest -= hour * 3_600_000;
  const minute = Math.floor(rest / 60_000);
  rest -= minute * 60_000;
  const second = Math.floor(rest / 1000);
  putDigits(out, at + 8, hour, 2);
  putDigits(out, at + 10, minute, 2);
  putDigits(out, at + 12, second, 2);
  putDigits(out, at + 14, rest - second * 1000, 3);
}

/** Milliseconds of ".f", ".ff" or ".fff" starting at the dot, or -1 when malformed. */
function readFraction(text: string, dot: number, end: number): number {
  const digits = end - dot - 1;
  if (digits < 1 || digits > 3) return -1;
  let ms = 0;
  for (let i = 1; i <= 3; i++) {
    const d = i <= digits ? text.charCodeAt(dot + i) - ZERO : 0;
    if (!(d >= 0 && d <= 9)) return -1;
    ms = ms * 10 + d;
  }
  return ms;
}

/** Reads a GeneralizedTime as described at the top of this file; `at` locates errors. */
export function readGeneralizedTime(text: string, at = 0): Date {
  const bad = (): CodecError => new CodecError(`invalid GeneralizedTime "${text.slice(0, 32)}"`, at);
  if (text.length > MAX_GENERALIZED_TIME_LENGTH) throw bad();
  const end = text.charCodeAt(text.length - 1) === LETTER_Z ? text.length - 1 : text.length;
  if (end !== 12 && end !== 14 && (end < 16 || text.charCodeAt(14) !== DOT)) throw bad();
  const year = textDigitsAt(text, 0, 4);
  const hour = textDigitsAt(text, 8, 2);
  const minute = textDigitsAt(text, 10, 2);
  const second = end === 12 ? 0 : textDigitsAt(text, 12, 2);
  const millis = end > 14 ? readFraction(text, 14, end) : 0;
  if (year < 0 || second < 0 || millis < 0) throw bad();
  const leap = second === 60 && hour === 23 && minute === 59;
  const month = textDigitsAt(text, 4, 2);
  const ms = toMs(year, month, textDigitsAt(text, 6, 2), hour, minute, leap ? 59 : second);
  if (Number.isNaN(ms) || (second > 59 && !leap)) throw bad();
  return new Date(ms + (leap ? 1000 : 0) + millis);
}

/** "YYYYMMDDHHmmss.fffZ", the form DESIGN.md §5 and btp-packet use. */
export function writeGeneralizedTime(date: Date): string {
  const ms = date.getTime();
  checkEncodable(ms, 'triggeredAt');
  const out = new Uint8Array(MAX_GENERALIZED_TIME_LENGTH);
  writeIlpTimestamp(ms, out, 0);
  out.copyWithin(15, 14, 17);
  out[14] = DOT;
  out[18] = LETTER_Z;
  return String.fromCharCode.apply(null, out as unknown as number[]);
}
