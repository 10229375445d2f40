/**
 * What each key backend needs, as data: the `security` fields a KMS backend reads and the
 * variables that set them (names as the KMS signers define them, docs/config.md). The setup
 * wizard asks for these fields (config/kms.ts checks them in a config); one table, so
 * a new backend or field is one row.
 */
import type { KeyBackend } from './schema.js';

export interface KeyBackendField {
  /** Dotted path under the config root, e.g. `security.awsKms.keyId`. */
  readonly path: string;
  /** The environment variable that sets it. */
  readonly env: string;
  /** What to ask or say, for a person. */
  readonly label: string;
  readonly required: boolean;
}

export interface KeyBackendInfo {
  readonly backend: KeyBackend;
  readonly title: string;
  readonly fields: readonly KeyBackendField[];
}

export const KEY_BACKEND_INFO: readonly KeyBackendInfo[] = [
  { backend: 'env', title: 'a private key or mnemonic in the environment (development)', fields: [] },
  {
    backend: 'aws-kms',
    title: 'AWS KMS (secp256k1 key)',
    fields: [
      {
        path: 'security.awsKms.keyId',
        env: 'AWS_KMS_KEY_ID',
        label: 'KMS key id, key ARN or alias',
        required: true,
      },
      {
        path: 'security.awsKms.region',
        env: 'AWS_REGION',
        label: 'AWS region (e.g. eu-west-1)',
        required: true,
      },
    ],
  },
  {
    backend: 'gcp-kms',
    title: 'Google Cloud KMS (EC_SIGN_SECP256K1_SHA256 key)',
    fields: [
      {
        path: 'security.gcpKms.keyName',
        env: 'GCP_KMS_KEY_NAME',
        label: 'key version (projects/P/locations/L/keyRings/R/cryptoKeys/K/cryptoKeyVersions/N)',
        required: true,
      },
    ],
  },
  {
    backend: 'azure-kv',
    title: 'Azure Key Vault (secp256k1 key)',
    fields: [
      {
        path: 'security.azureKeyVault.vaultUrl',
        env: 'AZURE_KEY_VAULT_URL',
        label: 'vault URL (https://...)',
        required: true,
      },
      { path: 'security.azureKeyVault.keyName', env: 'AZURE_KEY_NAME', label: 'key name', required: true },
      {
        path: 'security.azureKeyVault.keyVersion',
        env: 'AZURE_KEY_VERSION',
        label: 'key version (32 hex digits)',
        required: true,
      },
    ],
  },
];

export function keyBackendInfo(backend: KeyBackend): KeyBackendInfo {
  const info = KEY_BACKEND_INFO.find((b) => b.backend === backend);
  if (info === undefined) throw new Error(`no key backend info for ${backend}`);
  return info;
}
