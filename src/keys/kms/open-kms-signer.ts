/**
 * From the `security` section to an opened KmsSigner: the backend's SDK client, the call limits,
 * the public key read and checked. Hooks are for tests and embedders only (a local endpoint's
 * credentials, TLS trust); an operator's config never needs them.
 */
import { ConnectorError } from '../../utils/errors.js';
import { type AwsKmsOptions, awsKmsClient } from './aws/aws-kms.js';
import { type AzureKeyVaultOptions, azureKeyVaultClient } from './azure/azure-kv.js';
import { type GcpKmsOptions, gcpKmsClient } from './gcp/gcp-kms.js';
import type { KmsCallerOptions } from './kms-caller.js';
import type { KmsBackend } from './kms-error.js';
import { DEFAULT_KMS_LIMITS, type KmsLimits } from './kms-limits.js';
import { type KmsClient, KmsSigner } from './kms-signer.js';

/** What `security` holds for the KMS backends (config/kms.ts validates it). */
export interface KmsSecurityConfig {
  readonly keyBackend?: string | undefined;
  readonly awsKms?: Fields<'keyId' | 'region' | 'endpoint'> | undefined;
  readonly gcpKms?: Fields<'keyName' | 'apiEndpoint'> | undefined;
  readonly azureKeyVault?: Fields<'vaultUrl' | 'keyName' | 'keyVersion'> | undefined;
  readonly kms?: { readonly [K in keyof KmsLimits]?: number | undefined } | undefined;
}

type Fields<K extends string> = { readonly [F in K]?: string | undefined };

export interface KmsHooks {
  readonly aws?: Pick<AwsKmsOptions, 'clientConfig'>;
  readonly gcp?: Pick<GcpKmsOptions, 'clientOptions'>;
  readonly azure?: Pick<AzureKeyVaultOptions, 'credential' | 'clientOptions'>;
  readonly onRetry?: KmsCallerOptions['onRetry'];
}

function required(backend: KmsBackend, path: string, value: string | undefined): string {
  if (value === undefined || value === '') {
    throw new ConnectorError('ERR_CONFIG_INVALID', `security.${path} is required for KEY_BACKEND=${backend}`);
  }
  return value;
}

export function kmsLimits(security: KmsSecurityConfig): KmsLimits {
  const limits = { ...DEFAULT_KMS_LIMITS };
  for (const [name, value] of Object.entries(security.kms ?? {})) {
    if (value !== undefined && name in limits) (limits as Record<string, number>)[name] = value;
  }
  return Object.freeze(limits);
}

async function clientFor(
  backend: KmsBackend,
  security: KmsSecurityConfig,
  limits: KmsLimits,
  hooks: KmsHooks,
): Promise<KmsClient> {
  switch (backend) {
    case 'aws-kms': {
      const aws = security.awsKms ?? {};
      return awsKmsClient({
        keyId: required(backend, 'awsKms.keyId', aws.keyId),
        region: aws.region,
        endpoint: aws.endpoint,
        clientConfig: hooks.aws?.clientConfig,
      });
    }
    case 'gcp-kms': {
      const gcp = security.gcpKms ?? {};
      return gcpKmsClient({
        keyName: required(backend, 'gcpKms.keyName', gcp.keyName),
        apiEndpoint: gcp.apiEndpoint,
        clientOptions: hooks.gcp?.clientOptions,
        timeoutMs: limits.timeoutMs,
      });
    }
    case 'azure-kv': {
      const azure = security.azureKeyVault ?? {};
      return azureKeyVaultClient({
        vaultUrl: required(backend, 'azureKeyVault.vaultUrl', azure.vaultUrl),
        keyName: required(backend, 'azureKeyVault.keyName', azure.keyName),
        keyVersion: required(backend, 'azureKeyVault.keyVersion', azure.keyVersion),
        credential: hooks.azure?.credential,
        clientOptions: hooks.azure?.clientOptions,
      });
    }
  }
}

export const KMS_BACKENDS: readonly KmsBackend[] = ['aws-kms', 'gcp-kms', 'azure-kv'];

export function isKmsBackend(backend: string | undefined): backend is KmsBackend {
  return (KMS_BACKENDS as readonly (string | undefined)[]).includes(backend);
}

/** Opens the configured KMS key; a wrong key, no access or no service fails here, at start. */
export async function openKmsSigner(security: KmsSecurityConfig, hooks: KmsHooks = {}): Promise<KmsSigner> {
  const backend = security.keyBackend;
  if (!isKmsBackend(backend)) {
    throw new ConnectorError('ERR_INVALID_ARGUMENT', `"${backend}" is not a KMS key backend`);
  }
  const limits = kmsLimits(security);
  const client = await clientFor(backend, security, limits, hooks);
  try {
    return await KmsSigner.open(client, { limits, onRetry: hooks.onRetry });
  } catch (error) {
    await client.close().catch(() => undefined);
    throw error;
  }
}
