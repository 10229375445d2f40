/**
 * The bytes of reconciliation (core/reconcile/codec.ts): round trips, and strictness against
 * random and mutated input (seeded, bounded properties): a decoder throws nothing but CodecError.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  decodeAnswers,
  decodeMemo,
  decodeQuery,
  decodeTag,
  encodeAnswers,
  encodeMemo,
  encodeQuery,
  encodeTag,
  type InFlightTag,
  MAX_QUERY_ENTRIES,
  type Memo,
  type PacketKey,
  QUERY_STATUS,
  type QueryAnswer,
} from '../../src/core/reconcile/codec.js';
import { CodecError } from '../../src/utils/errors.js';

const SEED = 0x2ec0;
/** Plain objects, as the decoders build (deepEqual compares prototypes). */
const PLAIN = { noNullPrototype: true } as const;
const hash = fc.uint8Array({ minLength: 32, maxLength: 32 });
const keyArb: fc.Arbitrary<PacketKey> = fc.record(
  {
    condition: hash,
    expiresAtMs: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
    amount: fc.bigInt(0n, 2n ** 64n - 1n),
  },
  PLAIN,
);
// Peer ids: any code point, at most 255 bytes of UTF-8 (a code point takes at most 4).
const peerId = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 });
const tagArb: fc.Arbitrary<InFlightTag> = fc.record(
  {
    flags: fc.integer({ min: 0, max: 255 }),
    peerId,
    out: keyArb,
    sourceId: fc.option(peerId, { nil: undefined }),
    inExpiresAtMs: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
    inAmount: fc.bigInt(0n, 2n ** 64n - 1n),
  },
  PLAIN,
);
const memoArb: fc.Arbitrary<Memo> = fc.record({ peerId, key: keyArb, fulfillment: hash }, PLAIN);
const answerArb: fc.Arbitrary<QueryAnswer> = fc.oneof(
  fc.constant({ status: QUERY_STATUS.unknown }),
  fc.constant({ status: QUERY_STATUS.pending }),
  hash.map((fulfillment) => ({ status: QUERY_STATUS.fulfilled, fulfillment })),
);

/** Calls `decode`; anything thrown must be a CodecError. */
function strict(decode: () => unknown): void {
  try {
    decode();
  } catch (err) {
    assert.ok(err instanceof CodecError, `threw ${String(err)}`);
  }
}

describe('reconciliation codec', () => {
  it('round-trips tags, memos, queries and answers', () => {
    fc.assert(
      fc.property(
        tagArb,
        memoArb,
        fc.array(keyArb, { maxLength: 8 }),
        fc.array(answerArb, { maxLength: 8 }),
        (tag, memo, keys, answers) => {
          assert.deepEqual(decodeTag(encodeTag(tag)), tag);
          assert.deepEqual(decodeMemo(encodeMemo(memo)), memo);
          assert.deepEqual(decodeQuery(encodeQuery(keys)), keys);
          assert.deepEqual(decodeAnswers(encodeAnswers(answers), answers.length), answers);
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('refuses trailing bytes, truncation, an unknown version and bad UTF-8', () => {
    const tag = encodeTag({
      flags: 0,
      peerId: 'bob',
      out: { condition: new Uint8Array(32), expiresAtMs: 1, amount: 2n },
      sourceId: 'alice',
      inExpiresAtMs: 3,
      inAmount: 4n,
    });
    assert.throws(() => decodeTag(Buffer.concat([tag, Buffer.from([0])])), CodecError);
    assert.throws(() => decodeTag(tag.subarray(0, tag.length - 1)), CodecError);
    const wrongVersion = Uint8Array.from(tag);
    wrongVersion[0] = 2;
    assert.throws(() => decodeTag(wrongVersion), /unknown version/);
    const badUtf8 = Uint8Array.from(tag);
    badUtf8[badUtf8.length - 1] = 0xff; // last byte of "alice"
    assert.throws(() => decodeTag(badUtf8), /UTF-8/);
    const beyond = Uint8Array.from(tag);
    beyond[2 + 32] = 0x00_20; // the outgoing expiry's top byte: 2^53 and more
    assert.throws(() => decodeTag(beyond), /beyond 2\^53/);
  });

  it('bounds queries and checks the answer count', () => {
    const tooMany = new Uint8Array(2);
    new DataView(tooMany.buffer).setUint16(0, MAX_QUERY_ENTRIES + 1);
    assert.throws(() => decodeQuery(tooMany), /query of 257 keys/);
    assert.throws(() => encodeQuery(new Array(MAX_QUERY_ENTRIES + 1).fill({})), RangeError);
    const answers = encodeAnswers([{ status: QUERY_STATUS.unknown }]);
    assert.throws(() => decodeAnswers(answers, 2), /1 answers to 2 keys/);
    assert.throws(() => decodeAnswers(Uint8Array.from([0, 1, 9]), 1), /unknown answer status 9/);
  });

  it('throws nothing but CodecError on random or mutated input', () => {
    const mutated = (encode: fc.Arbitrary<Uint8Array>) =>
      fc.tuple(encode, fc.nat(), fc.integer({ min: 0, max: 255 })).map(([bytes, at, value]) => {
        const copy = Uint8Array.from(bytes);
        if (copy.length > 0) copy[at % copy.length] = value;
        return copy;
      });
    const input = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      mutated(tagArb.map(encodeTag)),
      mutated(memoArb.map(encodeMemo)),
      mutated(fc.array(keyArb, { maxLength: 4 }).map(encodeQuery)),
      mutated(fc.array(answerArb, { maxLength: 4 }).map(encodeAnswers)),
    );
    fc.assert(
      fc.property(input, fc.nat({ max: 5 }), (bytes, expected) => {
        strict(() => decodeTag(bytes));
        strict(() => decodeMemo(bytes));
        strict(() => decodeQuery(bytes));
        strict(() => decodeAnswers(bytes, expected));
      }),
      { seed: SEED, numRuns: 3000 },
    );
  });
});
