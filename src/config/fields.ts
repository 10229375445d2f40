/**
 * Field-level schemas shared by the config sections: ports, integers, u64 amounts, ILP addresses,
 * URLs, EVM hex values and IP/CIDR entries. Messages never echo string values, because some of the
 * strings validated here are secrets.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { ILP_SCHEMES, MAX_ADDRESS_LENGTH, SEGMENT_REGEX } from '../codec/address.js';

export const MAX_U64 = 2n ** 64n - 1n;
export const MAX_U128 = 2n ** 128n - 1n;
/** RFC 15: an ILP address is at most 1023 characters. */
export const ILP_ADDRESS_MAX_CHARS = MAX_ADDRESS_LENGTH;
const SEGMENT = SEGMENT_REGEX;
const DECIMAL = /^[0-9]+$/;

/** A schema-level message replaces the loader's "is required", so it must say it itself. */
function orRequired(message: string) {
  return (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : message);
}

/**
 * Values substituted from `${VAR}` are strings, so integer fields accept a decimal string too.
 * The declared input type stays `number`: TypeScript users write numbers, YAML/env text is coerced.
 */
function coerceIntString(value: unknown): unknown {
  return typeof value === 'string' && /^-?[0-9]+$/.test(value) ? Number(value) : value;
}

function coerceBoolString(value: unknown): unknown {
  if (value === 'true') return true;
  if (value === 'false') return false;
  return value;
}

export function intField(min: number, max: number) {
  const range = `must be an integer from ${min} to ${max}`;
  const inner = z
    .number({ error: orRequired(`expected an integer from ${min} to ${max}`) })
    .int({ error: range })
    .min(min, { error: range })
    .max(max, { error: range });
  return z.preprocess<unknown, typeof inner, number>(coerceIntString, inner);
}

export const portField = () => intField(0, 65535);
export const positiveIntField = (max: number) => intField(1, max);

/** A positive finite number (rates may be fractional); decimal strings are coerced as for integers. */
export function positiveNumberField(max: number) {
  const message = `must be a number above 0 and at most ${max}`;
  const inner = z
    .number({ error: orRequired(message) })
    .positive({ error: message })
    .max(max, { error: message });
  const coerce = (v: unknown): unknown =>
    typeof v === 'string' && /^[0-9]+(\.[0-9]+)?$/.test(v) ? Number(v) : v;
  return z.preprocess<unknown, typeof inner, number>(coerce, inner);
}

export function boolField() {
  const inner = z.boolean({ error: orRequired('expected true or false') });
  return z.preprocess<unknown, typeof inner, boolean>(coerceBoolString, inner);
}

/** Returns the amount, or a message saying why it is not an unsigned integer of `bits` bits. */
export function toUnsigned(value: bigint | number | string, bits: 64 | 128): bigint | string {
  const max = bits === 64 ? MAX_U64 : MAX_U128;
  const tooBig = `exceeds the maximum of a u${bits} (${max})`;
  let n: bigint;
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return `must be an integer amount, got ${value}`;
    if (value < 0) return `must not be negative, got ${value}`;
    if (!Number.isSafeInteger(value)) {
      return `${value} is above 2^53-1 and is not exact as a number; write it as a string or bigint`;
    }
    n = BigInt(value);
  } else if (typeof value === 'string') {
    if (value.startsWith('-')) return 'must not be negative';
    if (!DECIMAL.test(value)) return 'must be a decimal integer string (digits only)';
    // A u128 has at most 39 digits; longer strings are rejected before BigInt() parses them.
    if (value.replace(/^0+/, '').length > 39) return tooBig;
    n = BigInt(value);
  } else {
    if (value < 0n) return `must not be negative, got ${value}`;
    n = value;
  }
  return n > max ? tooBig : n;
}

function unsignedField(bits: 64 | 128) {
  return z
    .union([z.bigint(), z.number(), z.string()], {
      error: orRequired('expected an amount: a bigint, an integer number or a decimal string'),
    })
    .transform((value, ctx) => {
      const result = toUnsigned(value, bits);
      if (typeof result === 'string') {
        ctx.addIssue({ code: 'custom', message: result });
        return z.NEVER;
      }
      return result;
    });
}

/** A u64 amount: bigint, safe non-negative integer number, or decimal string; always a bigint out. */
export const u64Field = () => unsignedField(64);
export const u128Field = () => unsignedField(128);

/** One ILP address segment; node and peer ids use the same alphabet so they can be segments. */
export const segmentField = () =>
  z.string().regex(SEGMENT, { error: 'must be non-empty and use only A-Z a-z 0-9 _ ~ -' });

/** Why `value` is not a valid route prefix ('' is the default route), or undefined when it is. */
export function prefixProblem(value: string): string | undefined {
  if (value === '') return undefined;
  if (value.length > ILP_ADDRESS_MAX_CHARS) return `must be at most ${ILP_ADDRESS_MAX_CHARS} characters`;
  const segments = value.split('.');
  if (segments.some((s) => !SEGMENT.test(s))) {
    return 'must be "."-separated non-empty segments of A-Z a-z 0-9 _ ~ -';
  }
  if (!ILP_SCHEMES.has(segments[0] ?? '')) {
    return `must start with an allocation scheme (${[...ILP_SCHEMES].join(', ')})`;
  }
  return undefined;
}

function stringChecked(problem: (value: string) => string | undefined) {
  return z.string().superRefine((value, ctx) => {
    const message = problem(value);
    if (message !== undefined) ctx.addIssue({ code: 'custom', message });
  });
}

export const routePrefixField = () => stringChecked(prefixProblem);

/** RFC 15 address: a scheme plus at least one more segment. */
export const ilpAddressField = () =>
  stringChecked((value) => {
    if (value === '') return 'must not be empty';
    const problem = prefixProblem(value);
    if (problem !== undefined) return problem;
    return value.includes('.') ? undefined : 'must have at least one segment after the allocation scheme';
  });

export const urlField = (protocols: readonly string[]) =>
  stringChecked((value) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return `must be a URL (${protocols.map((p) => `${p}//`).join(', ')})`;
    }
    if (!protocols.includes(url.protocol)) return `must use ${protocols.map((p) => `${p}//`).join(', ')}`;
    return url.hostname === '' ? 'must name a host' : undefined;
  });

export const hexField = (bytes: number, what: string) =>
  z.string().regex(new RegExp(`^0x[0-9a-fA-F]{${bytes * 2}}$`), {
    error: `must be ${what}: 0x followed by ${bytes * 2} hex digits`,
  });

export const evmAddressField = () => hexField(20, 'an EVM address');

/** An IPv4/IPv6 address, optionally with a /prefix-length (CIDR). */
export const ipOrCidrField = () =>
  stringChecked((value) => {
    const [ip = '', bits, extra] = value.split('/');
    const family = isIP(ip);
    if (family === 0 || extra !== undefined) return 'must be an IP address or CIDR (e.g. 10.0.0.0/8)';
    if (bits === undefined) return undefined;
    const maxBits = family === 4 ? 32 : 128;
    return DECIMAL.test(bits) && Number(bits) <= maxBits
      ? undefined
      : `CIDR prefix length must be 0..${maxBits}`;
  });
