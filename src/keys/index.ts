export type { KeyConfig } from './create-signer.js';
export { createSigner } from './create-signer.js';
export { EnvKeySigner, PRIVATE_KEY_ENV, parsePrivateKey } from './env-key.js';
export type { HdWalletOptions } from './hd-wallet.js';
export { HdWalletSigner } from './hd-wallet.js';
export { decodeDerSignature, decodeRawSignature } from './kms/der-signature.js';
export { crc32c } from './kms/gcp/crc32c.js';
export { type KmsBackend, KmsError, type KmsFailure } from './kms/kms-error.js';
export { DEFAULT_KMS_LIMITS, type KmsLimits } from './kms/kms-limits.js';
export { type KmsClient, KmsSigner } from './kms/kms-signer.js';
export {
  isKmsBackend,
  KMS_BACKENDS,
  type KmsHooks,
  type KmsSecurityConfig,
  openKmsSigner,
} from './kms/open-kms-signer.js';
export { addressOfJwk, addressOfSpki } from './kms/public-key.js';
export { checkDerivationPath, checkMnemonic, DEFAULT_DERIVATION_PATH } from './mnemonic.js';
export { type OpenSignerConfig, type OpenSignerOptions, openSigner } from './open-signer.js';
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
