/**
 * The KMS part of `security` (issue 14; docs/config.md, docs/keys.md): which key in which cloud,
 * and the bounds on calls to it. Formats are checked here; which fields a backend needs is
 * checked on the whole config (`kmsIssues`), so a missing one is reported with its path and the
 * variable that sets it.
 */
import { z } from 'zod';
import type { ConfigIssue } from '../utils/errors.js';
import { intField, urlField } from './fields.js';

const AWS_KEY_UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const AWS_MRK = 'mrk-[0-9a-f]{32}';
const AWS_ALIAS = 'alias/[A-Za-z0-9/_-]{1,250}';
/** A key id, multi-Region key id, alias name, key ARN or alias ARN. */
export const AWS_KMS_KEY_ID = new RegExp(
  `^(?:${AWS_KEY_UUID}|${AWS_MRK}|${AWS_ALIAS}|arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:(?:key/(?:${AWS_KEY_UUID}|${AWS_MRK})|${AWS_ALIAS}))$`,
);
export const AWS_REGION = /^[a-z]{2,4}(-[a-z]+)+-[0-9]{1,2}$/;
export const GCP_KEY_VERSION_NAME =
  /^projects\/[a-z0-9-]+\/locations\/[a-z0-9-]+\/keyRings\/[A-Za-z0-9_-]{1,63}\/cryptoKeys\/[A-Za-z0-9_-]{1,63}\/cryptoKeyVersions\/[0-9]+$/;
const HOST_PORT = /^[A-Za-z0-9.-]+(:[0-9]{1,5})?$/;
export const AZURE_KEY_NAME = /^[0-9A-Za-z-]{1,127}$/;
export const AZURE_KEY_VERSION = /^[0-9a-fA-F]{32}$/;

const awsKmsSchema = z.strictObject({
  keyId: z
    .string()
    .regex(AWS_KMS_KEY_ID, { error: 'must be a KMS key id, key ARN, alias/<name> or alias ARN' })
    .optional(),
  region: z.string().regex(AWS_REGION, { error: 'must be an AWS region such as eu-west-1' }).optional(),
  endpoint: urlField(['http:', 'https:']).optional(),
});

const gcpKmsSchema = z.strictObject({
  keyName: z
    .string()
    .regex(GCP_KEY_VERSION_NAME, {
      error: 'must be a key version: projects/P/locations/L/keyRings/R/cryptoKeys/K/cryptoKeyVersions/N',
    })
    .optional(),
  apiEndpoint: z
    .string()
    .regex(HOST_PORT, { error: 'must be a host name, optionally with :port' })
    .optional(),
});

const azureKeyVaultSchema = z.strictObject({
  vaultUrl: urlField(['https:']).optional(),
  keyName: z.string().regex(AZURE_KEY_NAME, { error: 'must be 1-127 letters, digits or dashes' }).optional(),
  keyVersion: z
    .string()
    .regex(AZURE_KEY_VERSION, { error: 'must be a key version: 32 hex digits' })
    .optional(),
});

/** Bounds on KMS calls (keys/kms/kms-limits.ts has the defaults). */
const kmsLimitsSchema = z.strictObject({
  timeoutMs: intField(100, 120_000).optional(),
  maxRetries: intField(0, 10).optional(),
  retryBaseMs: intField(1, 60_000).optional(),
  retryMaxMs: intField(1, 600_000).optional(),
  maxConcurrentSigns: intField(1, 1_024).optional(),
  maxQueuedSigns: intField(0, 1_000_000).optional(),
});

/** The KMS fields of `security`, spread into its schema. */
export const kmsSecurityFields = {
  awsKms: awsKmsSchema.optional(),
  gcpKms: gcpKmsSchema.optional(),
  azureKeyVault: azureKeyVaultSchema.optional(),
  kms: kmsLimitsSchema.optional(),
};

type KmsSecurity = {
  readonly keyBackend?: string | undefined;
  readonly awsKms?: z.output<typeof awsKmsSchema> | undefined;
  readonly gcpKms?: z.output<typeof gcpKmsSchema> | undefined;
  readonly azureKeyVault?: z.output<typeof azureKeyVaultSchema> | undefined;
};

/** `arn:aws:kms:eu-west-1:111122223333:key/...` → `eu-west-1`. */
export function regionOfKmsArn(keyId: string): string | undefined {
  const parts = keyId.split(':');
  return parts[0] === 'arn' && parts[2] === 'kms' && parts[3] !== '' ? parts[3] : undefined;
}

/** Fields the chosen backend needs and lacks, and a region that contradicts the key's ARN. */
export function kmsIssues(security: KmsSecurity | undefined): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const need = (path: string, value: unknown, variable: string) => {
    if (value === undefined)
      issues.push({
        path: `security.${path}`,
        message: `required when keyBackend is ${security?.keyBackend} (${variable})`,
      });
  };
  switch (security?.keyBackend) {
    case 'aws-kms': {
      const aws = security.awsKms;
      need('awsKms.keyId', aws?.keyId, 'AWS_KMS_KEY_ID');
      const arnRegion = aws?.keyId === undefined ? undefined : regionOfKmsArn(aws.keyId);
      if (arnRegion === undefined) need('awsKms.region', aws?.region, 'AWS_REGION, or a key ARN');
      else if (aws?.region !== undefined && aws.region !== arnRegion) {
        issues.push({
          path: 'security.awsKms.region',
          message: `disagrees with the region of the key ARN (${arnRegion})`,
        });
      }
      break;
    }
    case 'gcp-kms':
      need('gcpKms.keyName', security.gcpKms?.keyName, 'GCP_KMS_KEY_NAME');
      break;
    case 'azure-kv':
      need('azureKeyVault.vaultUrl', security.azureKeyVault?.vaultUrl, 'AZURE_KEY_VAULT_URL');
      need('azureKeyVault.keyName', security.azureKeyVault?.keyName, 'AZURE_KEY_NAME');
      need('azureKeyVault.keyVersion', security.azureKeyVault?.keyVersion, 'AZURE_KEY_VERSION');
      break;
  }
  return issues;
}
