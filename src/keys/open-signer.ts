/**
 * The one way the node gets its signer (DESIGN §7, Keys): `env` keys are parsed at once
 * (create-signer.ts); a KMS key needs its public key fetched, so opening is async and awaited
 * when settlement starts. A failure there stops the start with the reason (wrong key type, no
 * access, no service), never with credentials.
 */
import type { Logger } from '../utils/logger.js';
import { createSigner, type KeyConfig } from './create-signer.js';
import { isKmsBackend, type KmsHooks, type KmsSecurityConfig, openKmsSigner } from './kms/open-kms-signer.js';
import type { Signer } from './signer.js';

export interface OpenSignerOptions {
  /** Retries of KMS calls are logged here at warn (the message is scrubbed; no SDK object). */
  readonly logger?: Logger | undefined;
  readonly kms?: KmsHooks | undefined;
}

export type OpenSignerConfig = Omit<KeyConfig, 'security'> & {
  readonly security?: KmsSecurityConfig | undefined;
};

export async function openSigner(config: OpenSignerConfig, options: OpenSignerOptions = {}): Promise<Signer> {
  const security = config.security;
  if (!isKmsBackend(security?.keyBackend)) return createSigner(config as KeyConfig);
  const { logger } = options;
  const onRetry =
    options.kms?.onRetry ??
    (logger &&
      ((error, attempt, waitMs) =>
        logger.warn(
          { code: error.code, failure: error.failure, attempt, waitMs },
          `${error.message}; retrying`,
        )));
  return openKmsSigner(security ?? {}, { ...options.kms, onRetry });
}
