/**
 * Picks the signer from config (DESIGN §7, Keys): `security.keyBackend` (KEY_BACKEND, default
 * `env`); for `env`, `settlementInfra.privateKey` (EVM_PRIVATE_KEY) or
 * `settlementInfra.mnemonic` with `settlementInfra.derivationPath` (loose fields of that section).
 * KMS keys need their public key fetched first: `openSigner` (open-signer.ts) opens those.
 */
import type { KeyBackend } from '../config/schema.js';
import { ConfigurationError, ConnectorError } from '../utils/errors.js';
import { EnvKeySigner } from './env-key.js';
import { HdWalletSigner } from './hd-wallet.js';
import type { Signer } from './signer.js';

/** The parts of a ConnectorConfig (or ResolvedConfig) that choose the key. */
export interface KeyConfig {
  readonly security?: { readonly keyBackend?: KeyBackend | undefined } | undefined;
  readonly settlementInfra?:
    | { readonly privateKey?: string | undefined; readonly [field: string]: unknown }
    | undefined;
}

const KMS_BACKENDS: ReadonlySet<string> = new Set(['aws-kms', 'gcp-kms', 'azure-kv']);

function optionalString(section: Record<string, unknown>, field: string): string | undefined {
  const value = section[field];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string')
    throw new ConfigurationError([{ path: `settlementInfra.${field}`, message: 'must be a string' }]);
  return value;
}

/** Re-raises a key parse error as a config error at `path`; the message never holds key text. */
function atPath<T>(path: string, make: () => T): T {
  try {
    return make();
  } catch (error) {
    const message = error instanceof ConnectorError ? error.message : 'is not a valid key';
    throw new ConfigurationError([{ path, message }]);
  }
}

export function createSigner(config: KeyConfig): Signer {
  const backend = config.security?.keyBackend ?? 'env';
  if (KMS_BACKENDS.has(backend)) {
    throw new ConnectorError(
      'ERR_SETTLEMENT_UNAVAILABLE',
      `key backend "${backend}" is opened asynchronously (its public key is fetched first): use openSigner(config)`,
    );
  }
  const section = (config.settlementInfra ?? {}) as Record<string, unknown>;
  const privateKey = optionalString(section, 'privateKey');
  const mnemonic = optionalString(section, 'mnemonic');
  if (privateKey !== undefined && mnemonic !== undefined) {
    throw new ConfigurationError([
      { path: 'settlementInfra', message: 'set either privateKey (EVM_PRIVATE_KEY) or mnemonic, not both' },
    ]);
  }
  if (privateKey !== undefined) {
    return atPath('settlementInfra.privateKey', () => EnvKeySigner.fromPrivateKey(privateKey));
  }
  if (mnemonic !== undefined) {
    const path = optionalString(section, 'derivationPath');
    const passphrase = optionalString(section, 'mnemonicPassphrase');
    return atPath('settlementInfra.mnemonic', () =>
      HdWalletSigner.fromMnemonic(mnemonic, { path, passphrase }),
    );
  }
  throw new ConnectorError(
    'ERR_SETTLEMENT_UNAVAILABLE',
    'no signing key: set EVM_PRIVATE_KEY (settlementInfra.privateKey) or settlementInfra.mnemonic',
  );
}
