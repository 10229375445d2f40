/**
 * The Google Cloud KMS signer through the real, unmodified `@google-cloud/kms` in its REST mode
 * (`fallback: true`, pointed at the double with `apiEndpoint`, `port` and `protocol: 'http'`)
 * against a local double of the KMS REST API (kms/gcp-kms-double.ts). Auth is the SDK's own
 * google-auth-library OAuth2Client holding a static access token (no Google login is reachable).
 */
import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import { openKmsSigner, type Signer } from '../../src/keys/index.js';
import { signerConformance } from './conformance.js';
import { GCP_TEST_TOKEN, GcpKmsDouble, gcpTestAuth } from './kms/gcp-kms-double.js';
import { TestKey } from './kms/test-key.js';

const KEY = '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a';

describe('Google Cloud KMS signer (real SDK in REST mode, local KMS double)', () => {
  const double = new GcpKmsDouble(new TestKey(KEY));
  let signer: Signer;
  before(async () => {
    await double.start();
    signer = await openKmsSigner(double.security(), {
      gcp: {
        clientOptions: {
          apiEndpoint: '127.0.0.1',
          port: double.port,
          protocol: 'http',
          authClient: gcpTestAuth(),
        },
      },
    });
  });
  after(async () => {
    await signer?.close?.();
    await double.stop();
    assert.deepEqual(double.violations, []);
  });

  signerConformance({
    name: 'GcpKmsSigner',
    make: () => signer,
    expectedAddress: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
    secrets: [KEY, GCP_TEST_TOKEN],
  });
});
