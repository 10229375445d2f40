/** `KEY_BACKEND=env` with a raw private key (EVM_PRIVATE_KEY): development and small setups. */
import type { Address, Hex } from 'viem';
import { type PrivateKeyAccount, privateKeyToAccount } from 'viem/accounts';
import { ConnectorError } from '../utils/errors.js';
import { SECP256K1_N } from './signature.js';
import { DigestSigner } from './signer.js';

export const PRIVATE_KEY_ENV = 'EVM_PRIVATE_KEY';
const PRIVATE_KEY_PATTERN = /^0x[0-9a-fA-F]{64}$/;

/** The key's own text never appears in the message: a typo'd key is still mostly a key. */
export function parsePrivateKey(value: string): Hex {
  if (!PRIVATE_KEY_PATTERN.test(value)) {
    throw new ConnectorError(
      'ERR_INVALID_ARGUMENT',
      `private key must be 0x followed by 64 hex digits (got ${value.length} characters; value not shown)`,
    );
  }
  const scalar = BigInt(value);
  if (scalar === 0n || scalar >= SECP256K1_N) {
    throw new ConnectorError(
      'ERR_INVALID_ARGUMENT',
      'private key is outside the secp256k1 range (value not shown)',
    );
  }
  return value as Hex;
}

export class EnvKeySigner extends DigestSigner {
  readonly address: Address;
  readonly backend = 'env-key' as const;
  readonly #account: PrivateKeyAccount;

  private constructor(account: PrivateKeyAccount) {
    super();
    this.#account = account;
    this.address = account.address;
  }

  static fromPrivateKey(privateKey: string): EnvKeySigner {
    return new EnvKeySigner(privateKeyToAccount(parsePrivateKey(privateKey)));
  }

  /** Reads EVM_PRIVATE_KEY; refuses when it is unset or empty. */
  static fromEnv(env: NodeJS.ProcessEnv = process.env): EnvKeySigner {
    const value = env[PRIVATE_KEY_ENV];
    if (value === undefined || value === '') {
      throw new ConnectorError('ERR_SETTLEMENT_UNAVAILABLE', `${PRIVATE_KEY_ENV} is not set`);
    }
    return EnvKeySigner.fromPrivateKey(value);
  }

  protected signRaw(digest: Hex): Promise<Hex> {
    return this.#account.sign({ hash: digest });
  }
}
