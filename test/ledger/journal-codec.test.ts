/** The journal record codec: round trips, bounds, strictness (seeded, bounded properties). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { MAX_ACCOUNT_ID_LENGTH, MAX_TIMEOUT_MS, U128_MAX } from '../../src/ledger/index.js';
import {
  decodeRecord,
  encodeRecord,
  FRAME_HEADER_BYTES,
  type JournalRecord,
  MAX_FRAME_BYTES,
  RECORD_TYPE,
} from '../../src/ledger/journal/codec.js';
import { CodecError } from '../../src/utils/errors.js';

const SEED = 0x10c0de;
// Any code point (so surrogate pairs too), within the UTF-16 length every backend accepts.
const accountId = fc
  .string({ unit: 'binary', minLength: 1, maxLength: MAX_ACCOUNT_ID_LENGTH })
  .filter((s) => s.length <= MAX_ACCOUNT_ID_LENGTH);
const u128 = fc.bigInt(0n, U128_MAX);
const limit = fc.option(u128, { nil: undefined });

const recordArb: fc.Arbitrary<JournalRecord> = fc.oneof(
  fc.record({
    type: fc.constant(RECORD_TYPE.account),
    id: accountId,
    debitLimit: limit,
    creditLimit: limit,
  }),
  fc.record({
    type: fc.constant(RECORD_TYPE.transfer),
    id: u128,
    debitAccount: accountId,
    creditAccount: accountId,
    amount: u128,
    timeoutMs: fc.constant(0),
  }),
  fc.record({
    type: fc.constant(RECORD_TYPE.posted),
    id: u128,
    debitAccount: accountId,
    creditAccount: accountId,
    amount: u128,
    timeoutMs: fc.integer({ min: 1, max: MAX_TIMEOUT_MS }),
  }),
);

function frame(record: JournalRecord): Buffer {
  const buf = Buffer.alloc(MAX_FRAME_BYTES + 16, 0xee);
  return buf.subarray(0, encodeRecord(buf, 0, record));
}

const payloadOf = (f: Buffer) => f.subarray(FRAME_HEADER_BYTES);

describe('journal codec', () => {
  it('round-trips every record within MAX_FRAME_BYTES, with length and CRC-32 in the header', () => {
    fc.assert(
      fc.property(recordArb, (record) => {
        const f = frame(record);
        assert.ok(f.length <= MAX_FRAME_BYTES);
        assert.equal(f.readUInt32BE(0), f.length - FRAME_HEADER_BYTES);
        assert.equal(f.readUInt32BE(4), crc32(payloadOf(f)));
        assert.deepEqual(decodeRecord(payloadOf(f)), { ...record });
      }),
      { seed: SEED, numRuns: 500 },
    );
  });

  it('a longest record (128 three-byte characters per account) fits', () => {
    const id = '\u20ac'.repeat(MAX_ACCOUNT_ID_LENGTH);
    const record = {
      type: RECORD_TYPE.posted,
      id: U128_MAX,
      debitAccount: id,
      creditAccount: `${id.slice(1)}x`,
      amount: U128_MAX,
      timeoutMs: MAX_TIMEOUT_MS,
    } as const;
    assert.deepEqual(decodeRecord(payloadOf(frame(record))), record);
  });

  it('decoding any bytes returns a record or throws a CodecError, nothing else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          decodeRecord(bytes);
        } catch (err) {
          assert.ok(err instanceof CodecError, String(err));
        }
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });

  it('is strict: trailing bytes, unknown flags and types, bad UTF-8, empty ids', () => {
    const account = payloadOf(
      frame({ type: RECORD_TYPE.account, id: 'a', debitLimit: 1n, creditLimit: undefined }),
    );
    const cases: [string, Uint8Array][] = [
      ['trailing', Buffer.concat([account, Buffer.from([0])])],
      ['flags', Buffer.from([RECORD_TYPE.account, 4, 0, 1, 0x61])],
      ['type', Buffer.from([7])],
      ['utf-8', Buffer.from([RECORD_TYPE.account, 0, 0, 1, 0xff])],
      ['empty id', Buffer.from([RECORD_TYPE.account, 0, 0, 0])],
      ['short', account.subarray(0, account.length - 1)],
    ];
    for (const [what, bytes] of cases) assert.throws(() => decodeRecord(bytes), CodecError, what);
  });
});
