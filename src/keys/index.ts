export type { KeyConfig } from './create-signer.js';
export { createSigner } from './create-signer.js';
export { EnvKeySigner, PRIVATE_KEY_ENV, parsePrivateKey } from './env-key.js';
export type { HdWalletOptions } from './hd-wallet.js';
export { HdWalletSigner } from './hd-wallet.js';
export { checkDerivationPath, checkMnemonic, DEFAULT_DERIVATION_PATH } from './mnemonic.js';
export { redact, redactKeys, redactUrl, redactUrlIn } from './redact.js';
export type { SignatureParts } from './signature.js';
export {
  joinSignature,
  normaliseSignature,
  SECP256K1_HALF_N,
  SECP256K1_N,
  SIGNATURE_LENGTH,
  signatureProblem,
  splitSignature,
} from './signature.js';
export type { Signer, SignerBackend } from './signer.js';
export { DigestSigner } from './signer.js';
export { toViemAccount } from './viem-account.js';
