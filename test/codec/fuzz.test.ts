/**
 * Properties (fast-check, seeded and bounded): decoders fed arbitrary or mutated bytes throw
 * nothing but CodecError and finish; whatever they accept is canonical (re-encodes to the same
 * bytes); every packet kind round-trips; patchPrepare changes amount and expiry only.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  decodeBtpPacket,
  decodeFulfill,
  decodeIldcpResponse,
  decodeIlpPacket,
  decodeIlpReply,
  decodePrepare,
  decodeReject,
  encodeBtpPacket,
  encodeFulfill,
  encodeIldcpResponse,
  encodeIlpPacket,
  encodePrepare,
  encodeReject,
  patchPrepare,
} from '../../src/codec/index.js';
import { readGeneralizedTime, readIlpTimestamp, writeGeneralizedTime } from '../../src/codec/time.js';
import {
  addressArb,
  btpArb,
  bytesArb,
  dateArb,
  fulfillArb,
  onlyCodecErrors,
  prepareArb,
  record,
  rejectArb,
  textArb,
  toHex,
  uint64Arb,
} from './helpers.js';

const SEED = 7_3_2024;
const TIMEOUT = { timeout: 15_000 };

const DECODERS: [string, (b: Uint8Array) => unknown][] = [
  ['decodePrepare', decodePrepare],
  ['decodeFulfill', decodeFulfill],
  ['decodeReject', decodeReject],
  ['decodeIlpPacket', decodeIlpPacket],
  ['decodeIlpReply', decodeIlpReply],
  ['decodeBtpPacket', decodeBtpPacket],
  ['decodeIldcpResponse', decodeIldcpResponse],
  ['readIlpTimestamp', readIlpTimestamp],
  ['readGeneralizedTime', (b) => readGeneralizedTime(Buffer.from(b).toString('latin1'))],
];

const ildcpArb = record({
  clientAddress: addressArb,
  assetScale: fc.integer({ min: 0, max: 255 }),
  assetCode: textArb(8),
});

/** Encodings of valid packets of every kind, the seeds for mutation. */
const validBytesArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  prepareArb().map(encodePrepare),
  fulfillArb.map(encodeFulfill),
  rejectArb.map(encodeReject),
  btpArb().map(encodeBtpPacket),
  ildcpArb.map(encodeIldcpResponse),
  fc.tuple(prepareArb(), fc.integer({ min: 0, max: 0xffff_ffff })).map(([p, requestId]) =>
    encodeBtpPacket({
      type: 6,
      requestId,
      protocolData: [{ protocolName: 'ilp', contentType: 0, data: encodePrepare(p) }],
    }),
  ),
);

/** A mutation of valid bytes: flipped bits, a special byte, a cut, an insertion or a deletion. */
const mutatedArb: fc.Arbitrary<Uint8Array> = fc
  .tuple(
    validBytesArb,
    fc.array(fc.tuple(fc.nat(), fc.nat(255), fc.integer({ min: 0, max: 4 })), { minLength: 1, maxLength: 4 }),
  )
  .map(([bytes, edits]) => {
    let out = Uint8Array.from(bytes);
    for (const [position, value, kind] of edits) {
      const at = out.length === 0 ? 0 : position % out.length;
      if (kind === 0 && out.length > 0) out[at] = out[at]! ^ (1 << (value % 8));
      if (kind === 1 && out.length > 0) out[at] = [0x00, 0x7f, 0x80, 0x81, 0x82, 0xff][value % 6]!;
      if (kind === 2) out = out.subarray(0, at);
      if (kind === 3) out = Uint8Array.from([...out.subarray(0, at), value, ...out.subarray(at)]);
      if (kind === 4) out = Uint8Array.from([...out.subarray(0, at), ...out.subarray(at + 1)]);
    }
    return out;
  });

/** Everything decoded from ILP or IL-DCP bytes re-encodes to those bytes: the decoders are canonical. */
function checkCanonical(bytes: Uint8Array): void {
  const ilp = onlyCodecErrors(() => decodeIlpPacket(bytes));
  if (ilp !== undefined) assert.equal(toHex(encodeIlpPacket(ilp)), toHex(bytes));
  const ildcp = onlyCodecErrors(() => decodeIldcpResponse(bytes));
  if (ildcp !== undefined) assert.equal(toHex(encodeIldcpResponse(ildcp)), toHex(bytes));
  // BTP reads GeneralizedTime liberally, so only non-Error packets must come back byte for byte.
  const btp = onlyCodecErrors(() => decodeBtpPacket(bytes));
  if (btp !== undefined && btp.type !== 2) assert.equal(toHex(encodeBtpPacket(btp)), toHex(bytes));
  if (btp !== undefined) assert.deepStrictEqual(decodeBtpPacket(encodeBtpPacket(btp)), btp);
}

describe('decoders on hostile input', () => {
  it('arbitrary bytes: only CodecError, and accepted input is canonical', TIMEOUT, () => {
    const input = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc
        .tuple(fc.constantFrom(1, 2, 6, 7, 12, 13, 14), fc.uint8Array({ maxLength: 300 }))
        .map(([t, rest]) => Uint8Array.from([t, ...rest])),
    );
    fc.assert(
      fc.property(input, (bytes) => {
        for (const [, decode] of DECODERS) onlyCodecErrors(() => decode(bytes));
        checkCanonical(bytes);
      }),
      { seed: SEED, numRuns: 500 },
    );
  });

  it('mutated valid packets: only CodecError, and accepted input is canonical', TIMEOUT, () => {
    fc.assert(
      fc.property(mutatedArb, (bytes) => {
        for (const [, decode] of DECODERS) onlyCodecErrors(() => decode(bytes));
        checkCanonical(bytes);
      }),
      { seed: SEED + 1, numRuns: 1000 },
    );
  });

  it('huge claimed lengths fail fast without allocating', TIMEOUT, () => {
    const started = Date.now();
    for (const [, decode] of DECODERS) {
      for (const hex of [
        '0c84ffffffff',
        '0684ffffffff',
        '060000000184ffffffff',
        '0100000001060108ffffffffffffffff',
        '0d8480000000',
      ]) {
        onlyCodecErrors(() => decode(Buffer.from(hex, 'hex')));
      }
    }
    assert.ok(Date.now() - started < 1000);
  });
});

describe('timestamps against a Date oracle', () => {
  /** The instant of 17 digits by way of Date, or undefined when Date had to normalise anything. */
  function oracle(text: string): number | undefined {
    const n = (from: number, to: number): number => Number(text.slice(from, to));
    const d = new Date(0);
    d.setUTCFullYear(n(0, 4), n(4, 6) - 1, n(6, 8));
    d.setUTCHours(n(8, 10), n(10, 12), n(12, 14), n(14, 17));
    const same =
      d.getUTCFullYear() === n(0, 4) &&
      d.getUTCMonth() === n(4, 6) - 1 &&
      d.getUTCDate() === n(6, 8) &&
      d.getUTCHours() === n(8, 10) &&
      d.getUTCMinutes() === n(10, 12) &&
      d.getUTCSeconds() === n(12, 14);
    return same ? d.getTime() : undefined;
  }
  it('17 digits are read exactly when they name a real instant', () => {
    const pad = (v: number, w: number): string => String(v).padStart(w, '0');
    const digitsArb = fc
      .tuple(fc.nat(9999), fc.nat(14), fc.nat(32), fc.nat(25), fc.nat(61), fc.nat(61), fc.nat(999))
      .map(
        ([y, mo, d, h, mi, s, ms]) =>
          pad(y, 4) + pad(mo, 2) + pad(d, 2) + pad(h, 2) + pad(mi, 2) + pad(s, 2) + pad(ms, 3),
      );
    fc.assert(
      fc.property(digitsArb, (text) => {
        const expected = oracle(text);
        const actual = onlyCodecErrors(() => readIlpTimestamp(Buffer.from(text)));
        assert.equal(actual, expected, text);
      }),
      { seed: SEED + 5, numRuns: 2000 },
    );
  });
  it('GeneralizedTime written is read back to the millisecond', () => {
    fc.assert(
      fc.property(dateArb(), (date) =>
        assert.equal(readGeneralizedTime(writeGeneralizedTime(date)).getTime(), date.getTime()),
      ),
      { seed: SEED + 6, numRuns: 500 },
    );
  });
});

describe('round trips', () => {
  const runs = { seed: SEED + 2, numRuns: 300 };
  it('Prepare', () =>
    fc.assert(
      fc.property(prepareArb(), (p) => assert.deepStrictEqual(decodePrepare(encodePrepare(p)), p)),
      runs,
    ));
  it('Fulfill', () =>
    fc.assert(
      fc.property(fulfillArb, (p) => assert.deepStrictEqual(decodeFulfill(encodeFulfill(p)), p)),
      runs,
    ));
  it('Reject', () =>
    fc.assert(
      fc.property(rejectArb, (p) => assert.deepStrictEqual(decodeReject(encodeReject(p)), p)),
      runs,
    ));
  it('any ILP packet through encodeIlpPacket/decodeIlpPacket', () => {
    const packetArb = fc.oneof(prepareArb(), fulfillArb, rejectArb);
    fc.assert(
      fc.property(packetArb, (p) => assert.deepStrictEqual(decodeIlpPacket(encodeIlpPacket(p)), p)),
      runs,
    );
  });
  it('BTP Message, Response, Transfer, Error', () => {
    fc.assert(
      fc.property(btpArb(), (p) => assert.deepStrictEqual(decodeBtpPacket(encodeBtpPacket(p)), p)),
      runs,
    );
  });
  it('IL-DCP response', () => {
    fc.assert(
      fc.property(ildcpArb, (r) => assert.deepStrictEqual(decodeIldcpResponse(encodeIldcpResponse(r)), r)),
      runs,
    );
  });
  it('decoding a Buffer gives the same fields as decoding a Uint8Array', () => {
    fc.assert(
      fc.property(prepareArb(), (p) => {
        const bytes = encodePrepare(p);
        assert.deepStrictEqual(decodePrepare(Buffer.from(bytes)), decodePrepare(bytes));
      }),
      { ...runs, numRuns: 100 },
    );
  });
});

describe('patchPrepare', () => {
  const check = (p: ReturnType<typeof decodePrepare>, amount: bigint, expiresAt: Date): void => {
    const bytes = encodePrepare(p);
    const before = toHex(bytes);
    const patched = patchPrepare(bytes, amount, expiresAt.getTime());
    assert.deepStrictEqual(decodePrepare(patched), { ...p, amount, expiresAt });
    assert.equal(toHex(bytes), before, 'the input is not modified');
    assert.equal(toHex(patched), toHex(encodePrepare({ ...p, amount, expiresAt })));
  };

  it('yields the new amount and expiry and leaves every other field', () => {
    fc.assert(fc.property(prepareArb(), uint64Arb, dateArb(), check), { seed: SEED + 3, numRuns: 300 });
  });

  it('handles the short and the long envelope length forms', () => {
    const shortForm = fc.record({ data: fc.uint8Array({ maxLength: 20 }) });
    const longForm = fc.record({ data: bytesArb(3000).filter((d) => d.length > 127) });
    for (const [name, dataArb] of [
      ['short', shortForm],
      ['long', longForm],
    ] as const) {
      fc.assert(
        fc.property(prepareArb(), dataArb, uint64Arb, dateArb(), (p, { data }, amount, expiresAt) => {
          const q = { ...p, data, destination: name === 'short' ? 'g.a' : p.destination };
          const bytes = encodePrepare(q);
          assert.equal(bytes[1]! >= 0x80, name === 'long');
          check(q, amount, expiresAt);
        }),
        { seed: SEED + 4, numRuns: 150 },
      );
    }
  });
});
