/**
 * The three KMS doubles behind one shape, so fault tests, the settlement test and the bench run
 * the same scenario on every backend.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { KmsHooks, KmsLimits, KmsSecurityConfig } from '../../../src/keys/index.js';
import { AWS_TEST_CREDENTIALS, AwsKmsDouble } from './aws-kms-double.js';
import { AZURE_TEST_TOKEN, AzureKeyVaultDouble } from './azure-kv-double.js';
import { GCP_TEST_TOKEN, GcpKmsDouble, gcpTestAuth } from './gcp-kms-double.js';
import type { HttpDouble } from './http-double.js';
import { p256PublicKey, type TestKey } from './test-key.js';

export interface KmsFixture {
  readonly double: HttpDouble;
  security(limits?: Partial<KmsLimits>): KmsSecurityConfig;
  hooks(): KmsHooks;
  /** Credentials the SDK was given: none may ever reach a log. */
  readonly secrets: readonly string[];
  /** Makes the double report a key on the wrong curve (or of the wrong spec). */
  wrongCurve(): void;
  /** Makes the double sign with another key than the one it reports. */
  signWith(key: TestKey): void;
}

export type KmsBackendName = 'aws-kms' | 'gcp-kms' | 'azure-kv';
export const KMS_BACKEND_NAMES: readonly KmsBackendName[] = ['aws-kms', 'gcp-kms', 'azure-kv'];

function rsaPublicKey(): KeyObject {
  return generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
}

/** Starts the double of `backend` holding `key`; stop it with `fixture.double.stop()`. */
export async function startKmsFixture(backend: KmsBackendName, key: TestKey): Promise<KmsFixture> {
  switch (backend) {
    case 'aws-kms': {
      const double = await new AwsKmsDouble(key).start();
      return {
        double,
        security: (kms) => ({ ...double.security(), kms }),
        hooks: () => ({ aws: { clientConfig: { credentials: AWS_TEST_CREDENTIALS } } }),
        secrets: [AWS_TEST_CREDENTIALS.secretAccessKey, AWS_TEST_CREDENTIALS.sessionToken],
        wrongCurve: () => {
          double.keySpec = 'ECC_NIST_P256';
          double.publicKey = p256PublicKey();
        },
        signWith: (other) => {
          double.signer = other;
        },
      };
    }
    case 'gcp-kms': {
      const double = await new GcpKmsDouble(key).start();
      return {
        double,
        security: (kms) => ({ ...double.security(), kms }),
        hooks: () => ({
          gcp: {
            clientOptions: {
              apiEndpoint: '127.0.0.1',
              port: double.port,
              protocol: 'http',
              authClient: gcpTestAuth(),
            },
          },
        }),
        secrets: [GCP_TEST_TOKEN],
        wrongCurve: () => {
          double.algorithm = 'EC_SIGN_P256_SHA256';
          double.publicKey = p256PublicKey();
        },
        signWith: (other) => {
          double.signer = other;
        },
      };
    }
    case 'azure-kv': {
      const double = await new AzureKeyVaultDouble(key).start(true);
      return {
        double,
        security: (kms) => ({ ...double.security(), kms }),
        hooks: () => double.hooks(),
        secrets: [AZURE_TEST_TOKEN],
        wrongCurve: () => {
          double.jwk = { ...p256PublicKey().export({ format: 'jwk' }) };
        },
        signWith: (other) => {
          double.signer = other;
        },
      };
    }
  }
}

export { rsaPublicKey };
