/** verifyClaim, off-chain: every refusal the contract would make, and the accepted deltas. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { type Hex, keccak256, toHex } from 'viem';
import { EnvKeySigner, SECP256K1_N, splitSignature } from '../../src/keys/index.js';
import {
  type Claim,
  type ClaimExpectation,
  type ClaimRefusal,
  MAX_UINT64,
  MAX_UINT128,
  signClaim,
  verifyClaim,
} from '../../src/settlement/index.js';
import { ConnectorError } from '../../src/utils/errors.js';

const sender = EnvKeySigner.fromPrivateKey(
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
);
const other = EnvKeySigner.fromPrivateKey(
  '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
);
const ref = {
  chainId: 8453,
  tokenNetwork: '0xa16E02E87b7454126E5E10d957A927A7F5B5d2be',
  channelId: keccak256(toHex('channel-1')),
} as const;
const expected: ClaimExpectation = {
  ...ref,
  sender: sender.address,
  deposit: 1_000n,
  lastNonce: 4n,
  lastAmount: 300n,
};

const hex = (n: bigint) => n.toString(16).padStart(64, '0');

/** The high-s twin of a canonical signature: valid for ecrecover, refused by OpenZeppelin. */
function twin(signature: Hex): Hex {
  const { r, s, v } = splitSignature(signature);
  return `0x${hex(r)}${hex(SECP256K1_N - s)}${(v === 27 ? 28 : 27).toString(16)}`;
}

async function refusal(claim: Claim, expectation = expected): Promise<ClaimRefusal | 'ok'> {
  const verdict = await verifyClaim(claim, expectation);
  if (verdict.ok) return 'ok';
  assert.ok(verdict.message.length > 0);
  return verdict.reason;
}

describe('verifyClaim', () => {
  it('accepts a newer claim within the deposit and reports the delta', async () => {
    const claim = await signClaim(sender, ref, 5n, 450n);
    assert.deepEqual(await verifyClaim(claim, expected), { ok: true, signer: sender.address, delta: 150n });
    // Same amount with a higher nonce (nothing new), the whole deposit, and case-insensitive addresses.
    assert.equal(await refusal(await signClaim(sender, ref, 5n, 300n)), 'ok');
    assert.equal(await refusal(await signClaim(sender, ref, 9n, 1_000n)), 'ok');
    const lower = {
      ...expected,
      tokenNetwork: ref.tokenNetwork.toLowerCase() as Hex,
      sender: sender.address.toLowerCase() as Hex,
    };
    assert.equal(await refusal(claim, lower), 'ok');
  });

  it('refuses another chain, contract or channel', async () => {
    assert.equal(await refusal(await signClaim(sender, { ...ref, chainId: 42161 }, 5n, 400n)), 'wrong-chain');
    const otherContract = { ...ref, tokenNetwork: '0x5FbDB2315678afecb367f032d93F642f64180aa3' } as const;
    assert.equal(await refusal(await signClaim(sender, otherContract, 5n, 400n)), 'wrong-contract');
    const otherChannel = { ...ref, channelId: keccak256(toHex('channel-2')) };
    assert.equal(await refusal(await signClaim(sender, otherChannel, 5n, 400n)), 'wrong-channel');
  });

  it('refuses a signer that is not the channel sender, and tampered fields', async () => {
    assert.equal(await refusal(await signClaim(other, ref, 5n, 400n)), 'wrong-signer');
    const claim = await signClaim(sender, ref, 5n, 400n);
    assert.equal(await refusal({ ...claim, transferredAmount: 900n }), 'wrong-signer');
    assert.equal(await refusal({ ...claim, nonce: 6n }), 'wrong-signer');
    // Re-pointing a claim at another chain with the same bytes fails on the domain, not the field check.
    assert.equal(await refusal({ ...claim, chainId: 1 }, { ...expected, chainId: 1 }), 'wrong-signer');
  });

  it('refuses stale nonces, decreasing amounts and amounts over the deposit', async () => {
    assert.equal(await refusal(await signClaim(sender, ref, 4n, 400n)), 'stale-nonce');
    assert.equal(await refusal(await signClaim(sender, ref, 1n, 400n)), 'stale-nonce');
    assert.equal(await refusal(await signClaim(sender, ref, 5n, 299n)), 'amount-decreased');
    assert.equal(await refusal(await signClaim(sender, ref, 5n, 1_001n)), 'exceeds-deposit');
  });

  it('refuses malleable and malformed signatures', async () => {
    const claim = await signClaim(sender, ref, 5n, 400n);
    const { r, s, v } = splitSignature(claim.signature);
    assert.equal(await refusal({ ...claim, signature: twin(claim.signature) }), 'malleable-signature');
    const malformed: Hex[] = [
      claim.signature.slice(0, -2) as Hex, // 64 bytes (EIP-2098 length)
      `${claim.signature}00`, // padded
      `0x${hex(r)}${hex(s)}${(v - 27).toString(16).padStart(2, '0')}`, // v 0/1
      `0x${hex(r)}${hex(s)}1d`, // v 29
      `0x${hex(0n)}${hex(s)}1b`,
      `0x${hex(r)}${hex(0n)}1b`,
      `0x${hex(r)}${hex(SECP256K1_N)}1b`,
      `0x${'00'.repeat(65)}`,
      '0x',
      `0x${'zz'.repeat(65)}` as Hex,
    ];
    for (const signature of malformed) {
      assert.equal(await refusal({ ...claim, signature }), 'malformed-signature', signature);
    }
  });

  it('refuses out-of-range fields as malformed claims', async () => {
    const claim = await signClaim(sender, ref, 5n, 400n);
    assert.equal(await refusal({ ...claim, nonce: MAX_UINT64 + 1n }), 'malformed-claim');
    assert.equal(await refusal({ ...claim, transferredAmount: -1n }), 'malformed-claim');
    assert.equal(await refusal({ ...claim, transferredAmount: MAX_UINT128 + 1n }), 'malformed-claim');
  });

  it('signClaim refuses fields the contract could not take', async () => {
    for (const [nonce, amount] of [
      [0n, 1n],
      [MAX_UINT64 + 1n, 1n],
      [1n, -1n],
      [1n, MAX_UINT128 + 1n],
    ] as const) {
      await assert.rejects(signClaim(sender, ref, nonce, amount), ConnectorError);
    }
    await assert.rejects(signClaim(sender, { ...ref, channelId: '0x1234' }, 1n, 1n), /channelId/);
  });

  it('property: any in-range claim signed by the sender verifies with delta = amount - last (30 runs)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.bigInt({ min: 1n, max: MAX_UINT64 }),
        fc.bigInt({ min: 0n, max: MAX_UINT128 }),
        async (nonce, amount) => {
          const claim = await signClaim(sender, ref, nonce, amount);
          const verdict = await verifyClaim(claim, {
            ...expected,
            deposit: MAX_UINT128,
            lastNonce: nonce - 1n,
            lastAmount: 0n,
          });
          assert.deepEqual(verdict, { ok: true, signer: sender.address, delta: amount });
        },
      ),
      { numRuns: 30, seed: 60 },
    );
  });
});
