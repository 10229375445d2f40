/** `KEY_BACKEND=env` with a BIP-39 mnemonic and a BIP-32 derivation path (default m/44'/60'/0'/0/0). */
import type { Address, Hex } from 'viem';
import { type HDAccount, mnemonicToAccount } from 'viem/accounts';
import { checkDerivationPath, checkMnemonic, DEFAULT_DERIVATION_PATH } from './mnemonic.js';
import { DigestSigner } from './signer.js';

export interface HdWalletOptions {
  /** BIP-32 path; default m/44'/60'/0'/0/0 (the first Ethereum account). */
  path?: string | undefined;
  /** The optional BIP-39 passphrase ("25th word"). */
  passphrase?: string | undefined;
}

export class HdWalletSigner extends DigestSigner {
  readonly address: Address;
  readonly backend = 'hd-wallet' as const;
  readonly path: string;
  readonly #account: HDAccount;

  private constructor(account: HDAccount, path: string) {
    super();
    this.#account = account;
    this.address = account.address;
    this.path = path;
  }

  static fromMnemonic(mnemonic: string, options: HdWalletOptions = {}): HdWalletSigner {
    const path = checkDerivationPath(options.path ?? DEFAULT_DERIVATION_PATH);
    // viem types the path as m/44'/60'/...; any BIP-32 path derives the same way.
    const account = mnemonicToAccount(checkMnemonic(mnemonic), {
      path: path as `m/44'/60'/${string}`,
      ...(options.passphrase === undefined ? {} : { passphrase: options.passphrase }),
    });
    return new HdWalletSigner(account, path);
  }

  protected signRaw(digest: Hex): Promise<Hex> {
    return this.#account.sign({ hash: digest });
  }

  override toJSON(): { backend: 'hd-wallet'; address: Address; path: string } {
    return { backend: this.backend, address: this.address, path: this.path };
  }
}
