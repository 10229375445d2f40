/**
 * BIP-39 mnemonic and BIP-32 path checks, before any derivation: a mistyped word would
 * otherwise derive a valid but foreign address. Messages name positions, never words.
 */
import { hexToBytes, sha256 } from 'viem';
import { english } from 'viem/accounts';
import { ConnectorError } from '../utils/errors.js';

export const DEFAULT_DERIVATION_PATH = "m/44'/60'/0'/0/0";
const WORD_COUNTS = new Set([12, 15, 18, 21, 24]);
const BITS_PER_WORD = 11;
const PATH_DEPTH_MAX = 10;
const HARDENED_OFFSET = 0x8000_0000;
const PATH_PATTERN = /^m(\/\d{1,10}'?)+$/;

let wordIndex: Map<string, number> | undefined;

function indexOf(word: string): number | undefined {
  wordIndex ??= new Map(english.map((w, i) => [w, i]));
  return wordIndex.get(word);
}

function invalid(message: string): never {
  throw new ConnectorError('ERR_INVALID_ARGUMENT', message);
}

/** Words separated by single spaces, after Unicode NFKD (what BIP-39 hashes). */
export function normaliseMnemonic(mnemonic: string): string {
  return mnemonic.normalize('NFKD').trim().split(/\s+/).join(' ');
}

/** BIP-39 English: 12..24 words, each in the list, checksum (first ENT/32 bits of SHA-256) right. */
export function checkMnemonic(mnemonic: string): string {
  const normal = normaliseMnemonic(mnemonic);
  const words = normal.split(' ');
  if (!WORD_COUNTS.has(words.length))
    invalid(`mnemonic must have 12, 15, 18, 21 or 24 words, got ${words.length}`);
  let bits = 0n;
  words.forEach((word, i) => {
    const index = indexOf(word);
    if (index === undefined) invalid(`mnemonic word ${i + 1} is not in the BIP-39 English list`);
    bits = (bits << BigInt(BITS_PER_WORD)) | BigInt(index);
  });
  const checksumBits = (words.length * BITS_PER_WORD) / 33;
  const entropyBytes = (words.length * BITS_PER_WORD - checksumBits) / 8;
  const entropy = (bits >> BigInt(checksumBits)).toString(16).padStart(entropyBytes * 2, '0');
  const expected = hexToBytes(sha256(`0x${entropy}`))[0]! >> (8 - checksumBits);
  if (Number(bits & ((1n << BigInt(checksumBits)) - 1n)) !== expected) invalid('mnemonic checksum is wrong');
  return normal;
}

/** A BIP-32 path such as m/44'/60'/0'/0/0: indexes below 2^31, at most 10 levels. */
export function checkDerivationPath(path: string): string {
  if (!PATH_PATTERN.test(path)) invalid(`derivation path "${path}" is not of the form m/44'/60'/0'/0/0`);
  const levels = path.split('/').slice(1);
  if (levels.length > PATH_DEPTH_MAX) invalid(`derivation path has more than ${PATH_DEPTH_MAX} levels`);
  for (const level of levels) {
    if (Number.parseInt(level, 10) >= HARDENED_OFFSET) invalid(`derivation path index ${level} is too large`);
  }
  return path;
}
