/** The payment-channel-claim wire form: vectors as data, round trip, and only CodecError on any bytes. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { bytesToHex, type Hex, hexToBytes } from 'viem';
import {
  CLAIM_SUB_PROTOCOL,
  CLAIM_WIRE_LENGTH,
  type Claim,
  decodeClaim,
  encodeClaim,
  MAX_UINT64,
  MAX_UINT128,
} from '../../src/settlement/index.js';
import { CodecError } from '../../src/utils/errors.js';

interface VectorClaim {
  chainId: number;
  tokenNetwork: Hex;
  channelId: Hex;
  nonce: string;
  transferredAmount: string;
  signature: Hex;
}
interface Vectors {
  valid: { name: string; hex: string; claim: VectorClaim }[];
  invalid: { name: string; hex: string; error: string }[];
}

const vectors = JSON.parse(
  readFileSync(join(process.cwd(), 'test', 'settlement', 'claim-vectors.json'), 'utf8'),
) as Vectors;

function fromVector(v: VectorClaim): Claim {
  return { ...v, nonce: BigInt(v.nonce), transferredAmount: BigInt(v.transferredAmount) };
}

const hexBytes = (length: number) =>
  fc.uint8Array({ minLength: length, maxLength: length }).map((bytes) => bytesToHex(bytes));

const claimArb: fc.Arbitrary<Claim> = fc.record({
  chainId: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  tokenNetwork: hexBytes(20),
  channelId: hexBytes(32),
  nonce: fc.bigInt({ min: 0n, max: MAX_UINT64 }),
  transferredAmount: fc.bigInt({ min: 0n, max: MAX_UINT128 }),
  signature: hexBytes(65),
});

describe('claim codec', () => {
  it('is the payment-channel-claim sub-protocol, 150 bytes', () => {
    assert.equal(CLAIM_SUB_PROTOCOL, 'payment-channel-claim');
    assert.equal(CLAIM_WIRE_LENGTH, 150);
  });

  for (const v of vectors.valid) {
    it(`valid vector: ${v.name}`, () => {
      const claim = fromVector(v.claim);
      assert.equal(bytesToHex(encodeClaim(claim)), `0x${v.hex}`);
      assert.deepEqual({ ...decodeClaim(hexToBytes(`0x${v.hex}`)) }, claim);
    });
  }

  for (const v of vectors.invalid) {
    it(`invalid vector: ${v.name}`, () => {
      assert.throws(
        () => decodeClaim(hexToBytes(`0x${v.hex}`)),
        (error: unknown) => error instanceof CodecError && error.message.includes(v.error),
      );
    });
  }

  it('encodes checksummed addresses and decodes to lowercase hex', () => {
    const claim = fromVector(vectors.valid[0]!.claim);
    const checksummed = { ...claim, tokenNetwork: '0xa16E02E87b7454126E5E10d957A927A7F5B5d2be' as Hex };
    assert.deepEqual(encodeClaim(checksummed), encodeClaim(claim));
  });

  it('refuses to encode what does not fit, with CodecError', () => {
    const claim = fromVector(vectors.valid[0]!.claim);
    const bad: Partial<Claim>[] = [
      { chainId: -1 },
      { chainId: 1.5 },
      { chainId: Number.MAX_SAFE_INTEGER + 2 },
      { nonce: -1n },
      { nonce: MAX_UINT64 + 1n },
      { transferredAmount: -1n },
      { transferredAmount: MAX_UINT128 + 1n },
      { tokenNetwork: '0x1234' },
      { channelId: `${claim.channelId}00` },
      { signature: claim.signature.slice(0, -2) as Hex },
      { signature: 'not hex' as Hex },
    ];
    for (const fields of bad) {
      assert.throws(
        () => encodeClaim({ ...claim, ...fields }),
        CodecError,
        JSON.stringify(fields, (_, x) => String(x)),
      );
    }
  });

  it('property: decode(encode(claim)) == claim (300 runs)', () => {
    fc.assert(
      fc.property(claimArb, (claim) => {
        const bytes = encodeClaim(claim);
        assert.equal(bytes.length, CLAIM_WIRE_LENGTH);
        assert.deepEqual({ ...decodeClaim(bytes) }, { ...claim });
      }),
      { numRuns: 300, seed: 150 },
    );
  });

  it('property: arbitrary bytes decode or throw CodecError, nothing else (2000 runs)', () => {
    const nearValid = claimArb.chain((claim) =>
      fc.tuple(fc.nat({ max: CLAIM_WIRE_LENGTH - 1 }), fc.integer({ min: 0, max: 255 })).map(([at, byte]) => {
        const bytes = Uint8Array.from(encodeClaim(claim));
        bytes[at] = byte;
        return bytes;
      }),
    );
    const anyBytes = fc.oneof(fc.uint8Array({ maxLength: 300 }), nearValid);
    fc.assert(
      fc.property(anyBytes, (bytes) => {
        try {
          const claim = decodeClaim(bytes);
          assert.deepEqual(encodeClaim(claim), bytes);
        } catch (error) {
          if (!(error instanceof CodecError)) throw error;
        }
      }),
      { numRuns: 2000, seed: 151 },
    );
  });
});
