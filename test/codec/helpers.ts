/**
 * Shared by the codec tests: fixture loading, hex helpers, a raw OER builder for hand-made
 * (often malformed) packets, and fast-check arbitraries of valid packets.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import type { BtpPacket, IlpFulfill, IlpPrepare, IlpReject, ProtocolData } from '../../src/codec/index.js';
import { CodecError } from '../../src/utils/errors.js';

const FIXTURES = new URL('../../../test/fixtures/', import.meta.url);

export function loadFixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8')) as T;
}

export const EMPTY = new Uint8Array(0);

/** A Prepare whose 200 bytes of data make a long-form envelope length (>= 128). */
export const samplePrepare: IlpPrepare = {
  type: 12,
  amount: 1000n,
  expiresAt: new Date('2030-01-02T03:04:05.678Z'),
  executionCondition: new Uint8Array(32).fill(7),
  destination: 'g.example.bob',
  data: new Uint8Array(200).fill(9),
};

export const fromHex = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex, 'hex'));
export const toHex = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');
export const ascii = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'latin1'));

/** Runs `fn` and requires it to throw a CodecError (and nothing else). */
export function assertCodecError(fn: () => unknown, what: string): void {
  assert.throws(
    fn,
    (err: unknown) => {
      assert.ok(err instanceof CodecError, `${what}: expected CodecError, got ${String(err)}`);
      return true;
    },
    `${what}: expected CodecError`,
  );
}

/** Runs `fn`; passes when it returns or throws a CodecError, fails on any other throw. */
export function onlyCodecErrors<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch (err) {
    if (err instanceof CodecError) return undefined;
    throw err;
  }
}

// ---------------------------------------------------------------- raw OER building

/** A length determinant; `longForm` forces 0x80|n even where the short form is due. */
export function lengthBytes(length: number, longForm = false): number[] {
  if (length < 0x80 && !longForm) return [length];
  const bytes: number[] = [];
  for (let v = length; v > 0 || bytes.length === 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return [0x80 | bytes.length, ...bytes];
}

export function concat(...parts: (Uint8Array | number[])[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export const varOctets = (bytes: Uint8Array, longForm = false): Uint8Array =>
  concat(lengthBytes(bytes.length, longForm), bytes);

/** type ‖ length ‖ content, as the ILP envelope (RFC 27). */
export const ilpEnvelope = (type: number, content: Uint8Array, longForm = false): Uint8Array =>
  concat([type], lengthBytes(content.length, longForm), content);

/** type ‖ requestId ‖ length ‖ content, as the BTP envelope (RFC 23). */
export const btpEnvelope = (type: number, requestId: number, content: Uint8Array): Uint8Array =>
  concat(
    [type, requestId >>> 24, (requestId >>> 16) & 0xff, (requestId >>> 8) & 0xff, requestId & 0xff],
    lengthBytes(content.length),
    content,
  );

export interface RawPrepare {
  amount?: number[];
  expiry?: string;
  condition?: Uint8Array;
  destination?: Uint8Array;
  data?: Uint8Array;
  longDestinationLength?: boolean;
  longDataLength?: boolean;
}

/** The content of a Prepare built field by field, any of which may be malformed. */
export function rawPrepareContent(r: RawPrepare = {}): Uint8Array {
  return concat(
    r.amount ?? [0, 0, 0, 0, 0, 0, 0, 107],
    ascii(r.expiry ?? '20300101000000000'),
    r.condition ?? new Uint8Array(32).fill(1),
    varOctets(r.destination ?? ascii('g.alice'), r.longDestinationLength),
    varOctets(r.data ?? new Uint8Array(0), r.longDataLength),
  );
}

export function rawRejectContent(
  code: string,
  triggeredBy: Uint8Array,
  message: Uint8Array,
  data: Uint8Array,
): Uint8Array {
  return concat(ascii(code), varOctets(triggeredBy), varOctets(message), varOctets(data));
}

// ---------------------------------------------------------------- arbitraries

/** fc.record with ordinary prototypes: deepStrictEqual tells null-prototype objects apart. */
export function record<T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> {
  return fc.record(model, { noNullPrototype: true }) as fc.Arbitrary<T>;
}

const SCHEMES = ['g', 'private', 'example', 'peer', 'self', 'test', 'test1', 'test2', 'test3', 'local'];
const segment = fc.stringMatching(/^[A-Za-z0-9_~-]{1,24}$/);

/** Valid ILP addresses, some over 127 chars (long-form length) and some near 1023. */
export const addressArb: fc.Arbitrary<string> = fc
  .oneof(
    {
      weight: 4,
      arbitrary: fc.tuple(fc.constantFrom(...SCHEMES), fc.array(segment, { minLength: 1, maxLength: 5 })),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.constantFrom(...SCHEMES), fc.array(segment, { minLength: 6, maxLength: 60 })),
    },
  )
  .map(([scheme, segments]) => `${scheme}.${segments.join('.')}`.slice(0, 1023).replace(/\.+$/, ''));

/** Bytes, mostly short, sometimes over 127 (long-form lengths). */
export const bytesArb = (maxLength = 600): fc.Arbitrary<Uint8Array> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.uint8Array({ maxLength: 127 }) },
    { weight: 1, arbitrary: fc.uint8Array({ minLength: 128, maxLength }) },
  );

export const bytes32Arb = fc.uint8Array({ minLength: 32, maxLength: 32 });
export const uint64Arb: fc.Arbitrary<bigint> = fc.oneof(
  fc.bigInt({ min: 0n, max: 1n << 32n }),
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  fc.constantFrom(0n, (1n << 53n) - 1n, 1n << 53n, (1n << 64n) - 1n),
);

/** UTC ms of January 1 of `year` (Date.UTC would map 0-99 to 1900-1999). */
export function startOfYear(year: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, 0, 1);
  return d.getTime();
}

/** Instants whose year has four digits, half of them near now; minYear 1000 suits ilp-packet. */
export const dateArb = (minYear = 0): fc.Arbitrary<Date> =>
  fc
    .oneof(
      fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2040, 0, 1) }),
      fc.integer({ min: startOfYear(minYear), max: 253_402_300_799_999 }),
    )
    .map((ms) => new Date(ms));

const printable = (min: number, max: number) =>
  fc.stringMatching(new RegExp(`^[\\x20-\\x7e]{${min},${max}}$`));
/** Well-formed text (lone surrogates cannot round-trip through UTF-8). */
export const textArb = (maxLength: number): fc.Arbitrary<string> =>
  fc.string({ unit: 'grapheme', maxLength });

export const prepareArb = (minYear = 0): fc.Arbitrary<IlpPrepare> =>
  record({
    amount: uint64Arb,
    expiresAt: dateArb(minYear),
    executionCondition: bytes32Arb,
    destination: addressArb,
    data: bytesArb(),
  }).map((p) => ({ type: 12 as const, ...p }));

export const fulfillArb: fc.Arbitrary<IlpFulfill> = fc
  .record({ fulfillment: bytes32Arb, data: bytesArb() })
  .map((p) => ({ type: 13 as const, ...p }));

export const rejectArb: fc.Arbitrary<IlpReject> = fc
  .record({
    code: fc.oneof(fc.constantFrom('F00', 'F02', 'F08', 'T04', 'R00', 'F99'), printable(3, 3)),
    triggeredBy: fc.oneof(addressArb, fc.constant('')),
    message: textArb(40),
    data: bytesArb(),
  })
  .map((p) => ({ type: 14 as const, ...p }));

export const protocolDataArb: fc.Arbitrary<ProtocolData[]> = fc.array(
  record({
    protocolName: printable(0, 20),
    contentType: fc.integer({ min: 0, max: 255 }),
    data: bytesArb(400),
  }),
  { maxLength: 4 },
);

const requestIdArb = fc.integer({ min: 0, max: 0xffff_ffff });

export const btpArb = (minYear = 0): fc.Arbitrary<BtpPacket> =>
  fc.oneof(
    record({
      type: fc.constantFrom(1 as const, 6 as const),
      requestId: requestIdArb,
      protocolData: protocolDataArb,
    }),
    record({
      type: fc.constant(7 as const),
      requestId: requestIdArb,
      amount: uint64Arb,
      protocolData: protocolDataArb,
    }),
    record({
      type: fc.constant(2 as const),
      requestId: requestIdArb,
      code: printable(3, 3),
      name: printable(0, 30),
      triggeredAt: dateArb(minYear),
      data: textArb(60),
      protocolData: protocolDataArb,
    }),
  );
