/**
 * ECDSA signatures as AWS KMS and Google Cloud KMS return them: DER `ECDSA-Sig-Value ::=
 * SEQUENCE { r INTEGER, s INTEGER }` (RFC 3279 §2.2.3, X.690 §8.3 and §10.1). Decoding is
 * strict: minimal lengths, minimal integers, no trailing bytes, r and s in 1..n-1.
 */
import { bytesToHex } from 'viem';
import { ConnectorError } from '../../utils/errors.js';
import { SECP256K1_N } from '../signature.js';

const SEQUENCE = 0x30;
const INTEGER = 0x02;
/** 2 + 2 × (2 + 33): a SEQUENCE of two 33-byte integers, the largest a secp256k1 signature needs. */
export const DER_SIGNATURE_MAX_BYTES = 72;

function malformed(message: string): never {
  throw new ConnectorError('ERR_KMS_KEY', `KMS signature is not DER ECDSA-Sig-Value: ${message}`);
}

/** Reads a short-form length (all a signature needs); long forms are not minimal here. */
function lengthAt(der: Uint8Array, at: number): number {
  const length = der[at];
  if (length === undefined) malformed('truncated length');
  if (length >= 0x80) malformed('length is not in short form');
  return length;
}

function integerAt(der: Uint8Array, at: number): { value: bigint; next: number } {
  if (der[at] !== INTEGER) malformed(`expected INTEGER at byte ${at}`);
  const length = lengthAt(der, at + 1);
  const start = at + 2;
  const end = start + length;
  if (length === 0 || end > der.length) malformed(`INTEGER at byte ${at} is empty or truncated`);
  const first = der[start]!;
  if (first & 0x80) malformed(`INTEGER at byte ${at} is negative`);
  if (first === 0 && length > 1 && !(der[start + 1]! & 0x80)) {
    malformed(`INTEGER at byte ${at} has a redundant leading zero`);
  }
  const value = BigInt(bytesToHex(der.subarray(start, end)));
  if (value <= 0n || value >= SECP256K1_N) malformed(`INTEGER at byte ${at} is out of range`);
  return { value, next: end };
}

export function decodeDerSignature(der: Uint8Array): { r: bigint; s: bigint } {
  if (der.length > DER_SIGNATURE_MAX_BYTES) malformed(`${der.length} bytes is too long`);
  if (der[0] !== SEQUENCE) malformed('expected SEQUENCE');
  if (lengthAt(der, 1) !== der.length - 2) malformed('SEQUENCE length disagrees with the bytes');
  const r = integerAt(der, 2);
  const s = integerAt(der, r.next);
  if (s.next !== der.length) malformed('trailing bytes after s');
  return { r: r.value, s: s.value };
}

/** r ‖ s, 32 bytes each, as Azure Key Vault returns ES256K signatures (RFC 7518 §3.4). */
export function decodeRawSignature(raw: Uint8Array): { r: bigint; s: bigint } {
  if (raw.length !== 64) {
    throw new ConnectorError('ERR_KMS_KEY', `KMS signature must be 64 bytes r ‖ s, got ${raw.length}`);
  }
  const r = BigInt(bytesToHex(raw.subarray(0, 32)));
  const s = BigInt(bytesToHex(raw.subarray(32)));
  if (r <= 0n || r >= SECP256K1_N || s <= 0n || s >= SECP256K1_N) {
    throw new ConnectorError('ERR_KMS_KEY', 'KMS signature r or s is out of range');
  }
  return { r, s };
}
