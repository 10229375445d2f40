/**
 * The one signature form the contracts accept (docs/contracts.md, "Proof format"): 65 bytes
 * `r ‖ s ‖ v`, `v ∈ {27, 28}`, `s` in the lower half of the curve order (OpenZeppelin ECDSA
 * refuses the high-s twin, EIP-2). Local keys already sign that way; a KMS returns DER with
 * any `s` and no recovery id, so every signer passes its output through `normaliseSignature`.
 */
import { bytesToHex, type Hex, hexToBytes, isHex } from 'viem';
import { ConnectorError } from '../utils/errors.js';

/** secp256k1 group order n, and n/2: the largest `s` a canonical signature may carry. */
export const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
export const SECP256K1_HALF_N = SECP256K1_N >> 1n;
export const SIGNATURE_LENGTH = 65;

export interface SignatureParts {
  r: bigint;
  s: bigint;
  /** 27 or 28 after normalisation; 0 or 1 (a bare recovery id) is accepted on input. */
  v: number;
}

function invalid(message: string): never {
  throw new ConnectorError('ERR_INVALID_ARGUMENT', message);
}

function toBigInt(bytes: Uint8Array): bigint {
  return BigInt(bytesToHex(bytes));
}

/** Splits 65 bytes into r, s, v without judging them. */
export function splitSignature(signature: Hex | Uint8Array): SignatureParts {
  if (typeof signature === 'string' && !isHex(signature, { strict: true })) invalid('signature is not hex');
  const bytes = typeof signature === 'string' ? hexToBytes(signature) : signature;
  if (bytes.length !== SIGNATURE_LENGTH) {
    invalid(`signature must be ${SIGNATURE_LENGTH} bytes, got ${bytes.length}`);
  }
  return { r: toBigInt(bytes.subarray(0, 32)), s: toBigInt(bytes.subarray(32, 64)), v: bytes[64]! };
}

export function joinSignature({ r, s, v }: SignatureParts): Hex {
  const hex = (n: bigint) => n.toString(16).padStart(64, '0');
  return `0x${hex(r)}${hex(s)}${v.toString(16).padStart(2, '0')}`;
}

/**
 * r ‖ s ‖ v with `s <= n/2` and `v ∈ {27, 28}`: a high `s` is replaced by `n - s`, which flips
 * the recovery id (the same signature, mirrored). Refuses what no normalisation can fix.
 */
export function normaliseSignature(signature: Hex | Uint8Array | SignatureParts): Hex {
  const parts =
    typeof signature === 'object' && 'r' in signature ? { ...signature } : splitSignature(signature);
  let recovery = parts.v >= 27 ? parts.v - 27 : parts.v;
  if (recovery !== 0 && recovery !== 1) invalid(`signature recovery id ${parts.v} is not 0, 1, 27 or 28`);
  if (parts.r <= 0n || parts.r >= SECP256K1_N) invalid('signature r is out of range');
  if (parts.s <= 0n || parts.s >= SECP256K1_N) invalid('signature s is out of range');
  let s = parts.s;
  if (s > SECP256K1_HALF_N) {
    s = SECP256K1_N - s;
    recovery ^= 1;
  }
  return joinSignature({ r: parts.r, s, v: 27 + recovery });
}

/** Why a signature is not in canonical form, or undefined when it is. */
export function signatureProblem(signature: Hex): 'malformed' | 'malleable' | undefined {
  let parts: SignatureParts;
  try {
    parts = splitSignature(signature);
  } catch {
    return 'malformed';
  }
  if (parts.v !== 27 && parts.v !== 28) return 'malformed';
  if (parts.r <= 0n || parts.r >= SECP256K1_N || parts.s <= 0n || parts.s >= SECP256K1_N) return 'malformed';
  return parts.s > SECP256K1_HALF_N ? 'malleable' : undefined;
}
