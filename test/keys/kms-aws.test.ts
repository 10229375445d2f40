/**
 * The AWS KMS signer through the real, unmodified `@aws-sdk/client-kms` against a local double
 * of the KMS JSON API (kms/aws-kms-double.ts): conformance, and the faults of issue 14.
 */
import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import { openKmsSigner, type Signer } from '../../src/keys/index.js';
import { signerConformance } from './conformance.js';
import { AWS_TEST_CREDENTIALS, AwsKmsDouble } from './kms/aws-kms-double.js';
import { TestKey } from './kms/test-key.js';

const KEY = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';

describe('AWS KMS signer (real SDK, local KMS double)', () => {
  const double = new AwsKmsDouble(new TestKey(KEY));
  let signer: Signer;
  before(async () => {
    await double.start();
    signer = await openKmsSigner(double.security(), {
      aws: { clientConfig: { credentials: AWS_TEST_CREDENTIALS } },
    });
  });
  after(async () => {
    await signer?.close?.();
    await double.stop();
    assert.deepEqual(double.violations, []);
  });

  signerConformance({
    name: 'AwsKmsSigner',
    make: () => signer,
    expectedAddress: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
    secrets: [KEY, AWS_TEST_CREDENTIALS.secretAccessKey, AWS_TEST_CREDENTIALS.sessionToken],
  });
});
