/**
 * AWS KMS (`@aws-sdk/client-kms`, loaded on first use): an `ECC_SECG_P256K1` key with usage
 * `SIGN_VERIFY`; `GetPublicKey` once at open, then `Sign` with `ECDSA_SHA_256` over the digest
 * (`MessageType: DIGEST`, so KMS does not hash it again). Credentials come from the SDK's default
 * chain (environment, profile, SSO, container or instance role). The SDK's own retries are off:
 * KmsCaller retries, so one policy bounds every call.
 */
import type { KMSClient, KMSClientConfig } from '@aws-sdk/client-kms';
import type { Address } from 'viem';
import { regionOfKmsArn } from '../../../config/kms.js';
import { ConnectorError } from '../../../utils/errors.js';
import { decodeDerSignature } from '../der-signature.js';
import { classifyHttp, type KmsFailure } from '../kms-error.js';
import type { KmsClient } from '../kms-signer.js';
import { loadSdk } from '../load-sdk.js';
import { addressOfSpki } from '../public-key.js';

export const AWS_KMS_PACKAGE = '@aws-sdk/client-kms';
export const AWS_KEY_SPEC = 'ECC_SECG_P256K1';

export interface AwsKmsOptions {
  /** Key id, key ARN, alias name (`alias/...`) or alias ARN. */
  readonly keyId: string;
  /** Optional when `keyId` is an ARN (its region is used) or the SDK finds one (AWS_REGION). */
  readonly region?: string | undefined;
  /** A VPC endpoint or a local test server; default the public regional endpoint. */
  readonly endpoint?: string | undefined;
  /** Only for tests and embedders: default the SDK's credential chain. */
  readonly clientConfig?: Omit<KMSClientConfig, 'region' | 'endpoint' | 'maxAttempts'> | undefined;
}

const THROTTLED = new Set(['ThrottlingException', 'TooManyRequestsException', 'RequestLimitExceeded']);
const UNAVAILABLE = new Set([
  'KMSInternalException',
  'DependencyTimeoutException',
  'KeyUnavailableException',
  'ServiceUnavailableException',
  'InternalFailure',
]);

export function classifyAwsError(error: unknown): KmsFailure {
  const name = (error as { name?: unknown } | null)?.name;
  if (typeof name === 'string' && THROTTLED.has(name)) return 'throttled';
  const retryable = (error as { $retryable?: { throttling?: boolean } } | null)?.$retryable;
  if (retryable?.throttling === true) return 'throttled';
  if (typeof name === 'string' && UNAVAILABLE.has(name)) return 'unavailable';
  return classifyHttp(error) ?? 'rejected';
}

export async function awsKmsClient(options: AwsKmsOptions): Promise<KmsClient> {
  const sdk = await loadSdk(AWS_KMS_PACKAGE, () => import('@aws-sdk/client-kms'), 'aws-kms');
  const { keyId } = options;
  const region = options.region ?? regionOfKmsArn(keyId);
  const client: KMSClient = new sdk.KMSClient({
    ...options.clientConfig,
    ...(region === undefined ? {} : { region }),
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    maxAttempts: 1,
  });
  const what = `AWS KMS key ${keyId}`;
  return {
    backend: 'aws-kms',
    keyRef: keyId,
    classify: classifyAwsError,
    async address(signal): Promise<Address> {
      const out = await client.send(new sdk.GetPublicKeyCommand({ KeyId: keyId }), { abortSignal: signal });
      if (out.KeySpec !== AWS_KEY_SPEC || out.KeyUsage !== 'SIGN_VERIFY') {
        throw new ConnectorError(
          'ERR_KMS_KEY',
          `${what} is ${out.KeySpec ?? 'of unknown spec'} for ${out.KeyUsage ?? 'unknown use'}; settlement needs ${AWS_KEY_SPEC} for SIGN_VERIFY (docs/keys.md)`,
        );
      }
      if (out.PublicKey === undefined)
        throw new ConnectorError('ERR_KMS_KEY', `${what}: no public key returned`);
      return addressOfSpki(out.PublicKey, what);
    },
    async sign(digest, signal) {
      const out = await client.send(
        new sdk.SignCommand({
          KeyId: keyId,
          Message: digest,
          MessageType: 'DIGEST',
          SigningAlgorithm: 'ECDSA_SHA_256',
        }),
        { abortSignal: signal },
      );
      if (out.Signature === undefined)
        throw new ConnectorError('ERR_KMS_KEY', `${what}: no signature returned`);
      return decodeDerSignature(out.Signature);
    },
    async close() {
      client.destroy();
    },
  };
}
