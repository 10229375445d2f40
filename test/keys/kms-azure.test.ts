/**
 * The Azure Key Vault signer through the real, unmodified `@azure/keyvault-keys` over HTTPS
 * against a local double of the Key Vault REST API (kms/azure-kv-double.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import { openKmsSigner, type Signer } from '../../src/keys/index.js';
import { signerConformance } from './conformance.js';
import { AZURE_TEST_TOKEN, AzureKeyVaultDouble } from './kms/azure-kv-double.js';
import { TestKey } from './kms/test-key.js';

const KEY = '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6';

describe('Azure Key Vault signer (real SDK over HTTPS, local Key Vault double)', () => {
  const double = new AzureKeyVaultDouble(new TestKey(KEY));
  let signer: Signer;
  before(async () => {
    await double.start(true);
    signer = await openKmsSigner(double.security(), double.hooks());
  });
  after(async () => {
    await signer?.close?.();
    await double.stop();
    assert.deepEqual(double.violations, []);
  });

  signerConformance({
    name: 'AzureKeyVaultSigner',
    make: () => signer,
    expectedAddress: '0x90F79bf6EB2c4f870365E785982E1f101E93b906',
    secrets: [KEY, AZURE_TEST_TOKEN],
  });
});
