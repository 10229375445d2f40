/**
 * Azure Key Vault (`@azure/keyvault-keys` with `@azure/identity`, loaded on first use): an EC key
 * on curve `P-256K` (Managed HSM or Premium vaults may hold it as `EC-HSM`), a pinned version;
 * `getKey` once at open, then `sign` with `ES256K` over the digest, which Key Vault signs as
 * given and answers as raw r ‖ s (RFC 7518 §3.4). Credentials: `DefaultAzureCredential`
 * (environment, workload identity, managed identity, Azure CLI).
 */
import type { TokenCredential } from '@azure/identity';
import type { CryptographyClient, CryptographyClientOptions } from '@azure/keyvault-keys';
import type { Address } from 'viem';
import { ConnectorError } from '../../../utils/errors.js';
import { decodeRawSignature } from '../der-signature.js';
import { classifyHttp, type KmsFailure } from '../kms-error.js';
import type { KmsClient } from '../kms-signer.js';
import { loadSdk } from '../load-sdk.js';
import { addressOfJwk } from '../public-key.js';

export const AZURE_KEYS_PACKAGE = '@azure/keyvault-keys';
export const AZURE_IDENTITY_PACKAGE = '@azure/identity';
export const AZURE_ALGORITHM = 'ES256K';

export interface AzureKeyVaultOptions {
  /** `https://<vault>.vault.azure.net` (or a Managed HSM's URL). */
  readonly vaultUrl: string;
  readonly keyName: string;
  /** Pinned: a new version is a new key, hence a new settlement address. */
  readonly keyVersion: string;
  /** Only for tests and embedders: default `DefaultAzureCredential`. */
  readonly credential?: TokenCredential | undefined;
  /** Only for tests and embedders (tlsOptions, challenge verification). */
  readonly clientOptions?: CryptographyClientOptions | undefined;
}

export function classifyAzureError(error: unknown): KmsFailure {
  return classifyHttp(error) ?? 'rejected';
}

function toBase64Url(bytes: Uint8Array | undefined): string | undefined {
  return bytes === undefined ? undefined : Buffer.from(bytes).toString('base64url');
}

export async function azureKeyVaultClient(options: AzureKeyVaultOptions): Promise<KmsClient> {
  const keys = await loadSdk(AZURE_KEYS_PACKAGE, () => import('@azure/keyvault-keys'), 'azure-kv');
  const credential =
    options.credential ??
    new (
      await loadSdk(AZURE_IDENTITY_PACKAGE, () => import('@azure/identity'), 'azure-kv')
    ).DefaultAzureCredential();
  const { vaultUrl, keyName, keyVersion } = options;
  // The SDK's own retries are off: KmsCaller retries, so one policy bounds every call.
  const clientOptions: CryptographyClientOptions = {
    ...options.clientOptions,
    retryOptions: { maxRetries: 0 },
  };
  const keyClient = new keys.KeyClient(vaultUrl, credential, clientOptions);
  const keyRef = `${new URL(vaultUrl).origin}/keys/${keyName}/${keyVersion}`;
  const what = `Azure Key Vault key ${keyRef}`;
  let crypto: CryptographyClient | undefined;
  return {
    backend: 'azure-kv',
    keyRef,
    classify: classifyAzureError,
    async address(signal): Promise<Address> {
      const key = await keyClient.getKey(keyName, { version: keyVersion, abortSignal: signal });
      const jwk = key.key;
      if (!key.keyOperations?.includes('sign')) {
        throw new ConnectorError('ERR_KMS_KEY', `${what} does not allow the sign operation (docs/keys.md)`);
      }
      const address = addressOfJwk(
        { kty: jwk?.kty, crv: jwk?.crv, x: toBase64Url(jwk?.x), y: toBase64Url(jwk?.y) },
        what,
      );
      crypto = new keys.CryptographyClient(key, credential, clientOptions);
      return address;
    },
    async sign(digest, signal) {
      if (crypto === undefined) throw new ConnectorError('ERR_KMS', `${what}: sign before the key was read`);
      const out = await crypto.sign(AZURE_ALGORITHM, digest, { abortSignal: signal });
      return decodeRawSignature(out.result);
    },
    async close() {
      // The SDK's HTTP client keeps no connection a process must release.
    },
  };
}
