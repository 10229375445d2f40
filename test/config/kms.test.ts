/**
 * The KMS fields of `security` (issue 14): each backend's required fields reported with their
 * paths and variables, formats checked without echoing values, env vars mapped, and the region of
 * a key ARN used or checked.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigLoader, type Env } from '../../src/config/index.js';

const ARN = 'arn:aws:kms:eu-west-1:111122223333:key/0b5a4e2c-1f6d-4c8e-9a7b-3d2e1f0a9b8c';
const GCP = 'projects/p-1/locations/europe-west1/keyRings/r/cryptoKeys/k/cryptoKeyVersions/3';

function base(security: Record<string, unknown> = {}): Record<string, unknown> {
  return { nodeId: 'n', btpServerPort: 0, peers: [], routes: [], environment: 'development', security };
}

function issues(input: unknown, env: Env = {}): string[] {
  const result = ConfigLoader.validate(input as never, { env });
  return result.ok ? [] : result.issues.map((i) => `${i.path}: ${i.message}`);
}

describe('security: KMS fields', () => {
  it('each backend lists every missing field with its path and variable', () => {
    assert.deepEqual(issues(base({ keyBackend: 'aws-kms' })), [
      'security.awsKms.keyId: required when keyBackend is aws-kms (AWS_KMS_KEY_ID)',
      'security.awsKms.region: required when keyBackend is aws-kms (AWS_REGION, or a key ARN)',
    ]);
    assert.deepEqual(issues(base({ keyBackend: 'gcp-kms' })), [
      'security.gcpKms.keyName: required when keyBackend is gcp-kms (GCP_KMS_KEY_NAME)',
    ]);
    assert.deepEqual(issues(base({ keyBackend: 'azure-kv' })), [
      'security.azureKeyVault.vaultUrl: required when keyBackend is azure-kv (AZURE_KEY_VAULT_URL)',
      'security.azureKeyVault.keyName: required when keyBackend is azure-kv (AZURE_KEY_NAME)',
      'security.azureKeyVault.keyVersion: required when keyBackend is azure-kv (AZURE_KEY_VERSION)',
    ]);
  });

  it('malformed fields are reported at their paths without echoing the values', () => {
    const bad = issues(
      base({
        keyBackend: 'azure-kv',
        awsKms: { keyId: 'key/SECRETISH', region: 'Europe', endpoint: 'ftp://x' },
        gcpKms: { keyName: 'projects/p/locations/l/keyRings/r/cryptoKeys/k' },
        azureKeyVault: { vaultUrl: 'http://v.vault.azure.net', keyName: 'bad name', keyVersion: 'latest' },
        kms: { timeoutMs: 5, maxConcurrentSigns: 0 },
      }),
    );
    const paths = bad.map((line) => line.split(':')[0]);
    assert.deepEqual(paths.sort(), [
      'security.awsKms.endpoint',
      'security.awsKms.keyId',
      'security.awsKms.region',
      'security.azureKeyVault.keyName',
      'security.azureKeyVault.keyVersion',
      'security.azureKeyVault.vaultUrl',
      'security.gcpKms.keyName',
      'security.kms.maxConcurrentSigns',
      'security.kms.timeoutMs',
    ]);
    assert.ok(!bad.join('\n').includes('SECRETISH'));
    assert.match(bad.join('\n'), /cryptoKeyVersions\/N/);
  });

  it('a key ARN supplies the region; a different region is refused', () => {
    assert.deepEqual(issues(base({ keyBackend: 'aws-kms', awsKms: { keyId: ARN } })), []);
    assert.deepEqual(issues(base({ keyBackend: 'aws-kms', awsKms: { keyId: ARN, region: 'us-east-1' } })), [
      'security.awsKms.region: disagrees with the region of the key ARN (eu-west-1)',
    ]);
    assert.deepEqual(
      issues(base({ keyBackend: 'aws-kms', awsKms: { keyId: 'alias/settlement', region: 'eu-west-1' } })),
      [],
    );
  });

  it('environment variables set the fields', () => {
    const env = {
      KEY_BACKEND: 'aws-kms',
      AWS_KMS_KEY_ID: 'alias/settlement',
      AWS_REGION: 'eu-west-1',
      AWS_KMS_ENDPOINT: 'https://kms.eu-west-1.amazonaws.com',
      GCP_KMS_KEY_NAME: GCP,
      AZURE_KEY_VAULT_URL: 'https://settle.vault.azure.net',
      AZURE_KEY_NAME: 'claims',
      AZURE_KEY_VERSION: '0f1e2d3c4b5a69788796a5b4c3d2e1f0',
    };
    const config = ConfigLoader.parseConfigObject(base(), { env });
    assert.deepEqual(config.security, {
      keyBackend: 'aws-kms',
      awsKms: {
        keyId: 'alias/settlement',
        region: 'eu-west-1',
        endpoint: 'https://kms.eu-west-1.amazonaws.com',
      },
      gcpKms: { keyName: GCP },
      azureKeyVault: {
        vaultUrl: 'https://settle.vault.azure.net',
        keyName: 'claims',
        keyVersion: '0f1e2d3c4b5a69788796a5b4c3d2e1f0',
      },
    });
    assert.deepEqual(issues(base(), { KEY_BACKEND: 'gcp-kms', GCP_KMS_KEY_NAME: 'projects/p' }), [
      'env.GCP_KMS_KEY_NAME: security.gcpKms.keyName: must be a key version: projects/P/locations/L/keyRings/R/cryptoKeys/K/cryptoKeyVersions/N',
    ]);
  });
});
