/**
 * The Signer conformance suite (STYLE 8): every backend, present and future (KMS), runs it.
 * Signatures must recover to the address and be canonical (65 bytes, low-s, v 27/28) for typed
 * data, digests, messages and transactions; no key material may show through any rendering.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { inspect } from 'node:util';
import fc from 'fast-check';
import {
  getAddress,
  type Hex,
  parseEther,
  recoverAddress,
  recoverMessageAddress,
  recoverTransactionAddress,
  recoverTypedDataAddress,
  toHex,
} from 'viem';
import { type Signer, signatureProblem } from '../../src/keys/index.js';
import { balanceProofTypedData } from '../../src/settlement/claims/typed-data.js';

export interface ConformanceTarget {
  readonly name: string;
  make(): Signer;
  readonly expectedAddress?: string;
  /** Strings that must never appear in any rendering of the signer (the key, the mnemonic). */
  readonly secrets: readonly string[];
}

function assertCanonical(signature: Hex): void {
  assert.equal(signature.length, 2 + 65 * 2);
  assert.equal(signatureProblem(signature), undefined, `not canonical: ${signature}`);
}

export function signerConformance(target: ConformanceTarget): void {
  const ref = {
    chainId: 8453,
    tokenNetwork: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
    channelId: `0x${'ab'.repeat(32)}`,
  } as const;

  it(`${target.name}: address is checksummed (and the expected one)`, () => {
    const signer = target.make();
    assert.equal(signer.address, getAddress(signer.address));
    if (target.expectedAddress !== undefined) assert.equal(signer.address, target.expectedAddress);
  });

  it(`${target.name}: EIP-712 BalanceProof signature is canonical and recovers to the address`, async () => {
    const signer = target.make();
    const typedData = balanceProofTypedData(ref, 5n, 1_000n);
    const signature = await signer.signTypedData(typedData);
    assertCanonical(signature);
    assert.equal(await recoverTypedDataAddress({ ...typedData, signature }), signer.address);
  });

  it(`${target.name}: digest signatures are canonical and recover (property, 25 runs)`, async () => {
    const signer = target.make();
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 32, maxLength: 32 }), async (bytes) => {
        const digest = toHex(bytes);
        const signature = await signer.signDigest(digest);
        assertCanonical(signature);
        assert.equal(await recoverAddress({ hash: digest, signature }), signer.address);
      }),
      { numRuns: 25, seed: 6 },
    );
  });

  it(`${target.name}: messages and EIP-1559 transactions recover to the address`, async () => {
    const signer = target.make();
    const message = 'settlement conformance';
    const signature = await signer.signMessage(message);
    assertCanonical(signature);
    assert.equal(await recoverMessageAddress({ message, signature }), signer.address);
    const serialized = await signer.signTransaction({
      type: 'eip1559',
      chainId: 8453,
      nonce: 3,
      to: ref.tokenNetwork,
      value: parseEther('0.01'),
      gas: 21_000n,
      maxFeePerGas: 2_000_000_000n,
      maxPriorityFeePerGas: 1_000_000n,
    });
    assert.equal(
      await recoverTransactionAddress({ serializedTransaction: serialized as never }),
      signer.address,
    );
  });

  it(`${target.name}: no key material in JSON, String, inspect or own properties`, () => {
    const signer = target.make();
    const renderings = [
      JSON.stringify(signer),
      String(signer),
      `${signer}`,
      inspect(signer, { showHidden: true, depth: Number.POSITIVE_INFINITY, getters: true }),
      JSON.stringify(Object.entries(signer)),
    ];
    for (const text of renderings) {
      assert.ok(text.includes(signer.address), text);
      for (const secret of target.secrets) {
        const bare = secret.replace(/^0x/, '').toLowerCase();
        assert.ok(!text.toLowerCase().includes(bare), `secret visible in: ${text}`);
      }
    }
  });
}
