/** EnvKeySigner, HdWalletSigner and a KMS-like test double all pass the Signer conformance suite. */
import { type Hex, hexToBytes } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import {
  DigestSigner,
  EnvKeySigner,
  HdWalletSigner,
  SECP256K1_N,
  splitSignature,
} from '../../src/keys/index.js';
import { signerConformance } from './conformance.js';

const KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';
const MNEMONIC = 'test test test test test test test test test test test junk';

/**
 * What a KMS hands back: the high-s twin of a valid signature with a bare recovery id (0/1).
 * DigestSigner must turn it into the canonical form.
 */
class HighSSigner extends DigestSigner {
  readonly backend = 'aws-kms' as const;
  readonly address;
  readonly #account = privateKeyToAccount(KEY);

  constructor() {
    super();
    this.address = this.#account.address;
  }

  protected async signRaw(digest: Hex): Promise<Hex> {
    const { r, s, v } = splitSignature(await this.#account.sign({ hash: digest }));
    const twinS = SECP256K1_N - s;
    const twinRecovery = (v - 27) ^ 1;
    const hex = (n: bigint) => n.toString(16).padStart(64, '0');
    const raw = `0x${hex(r)}${hex(twinS)}0${twinRecovery}` as Hex;
    if (hexToBytes(raw).length !== 65) throw new Error('test double built a bad signature');
    return raw;
  }
}

signerConformance({
  name: 'EnvKeySigner',
  make: () => EnvKeySigner.fromPrivateKey(KEY),
  expectedAddress: '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266',
  secrets: [KEY],
});

signerConformance({
  name: 'HdWalletSigner',
  make: () => HdWalletSigner.fromMnemonic(MNEMONIC),
  expectedAddress: '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266',
  secrets: [KEY, MNEMONIC],
});

signerConformance({
  name: 'HdWalletSigner (m/44/60/0/0/1)',
  make: () => HdWalletSigner.fromMnemonic(MNEMONIC, { path: "m/44'/60'/0'/0/1" }),
  expectedAddress: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
  secrets: ['0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d', MNEMONIC],
});

signerConformance({
  name: 'high-s, bare recovery id backend (KMS-like)',
  make: () => new HighSSigner(),
  expectedAddress: '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266',
  secrets: [KEY],
});
