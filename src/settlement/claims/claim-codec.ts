/**
 * Wire form of a claim for the BTP sub-protocol `payment-channel-claim` (one protocolData
 * entry, content type application/octet-stream). Fixed layout, big-endian, 150 bytes:
 *
 *   version u8 (1) | chainId u64 | tokenNetwork 20 | channelId 32 | nonce u64 | amount u128 | signature 65
 *
 * Decoding is strict: exact length, known version, chainId within 2^53 (viem's number);
 * the signature's shape is judged by verifyClaim, not here. Only CodecError is thrown.
 */
import { bytesToHex, type Hex, hexToBytes, isHex } from 'viem';
import { Reader } from '../../codec/reader.js';
import { Writer } from '../../codec/writer.js';
import { CodecError } from '../../utils/errors.js';
import type { Claim } from './claim.js';
import { MAX_UINT128 } from './typed-data.js';

export const CLAIM_SUB_PROTOCOL = 'payment-channel-claim';
/**
 * Cooperative close: the same 150-byte layout with nonce 0 and the sender's signature over
 * `CooperativeSettle(channelId, amount)`; the Response's entry is the receiver's 65-byte
 * co-signature.
 */
export const CLOSE_SUB_PROTOCOL = 'payment-channel-close';
export const CLAIM_CODEC_VERSION = 1;
const ADDRESS_LENGTH = 20;
const CHANNEL_ID_LENGTH = 32;
const SIGNATURE_LENGTH = 65;
export const CLAIM_WIRE_LENGTH = 1 + 8 + ADDRESS_LENGTH + CHANNEL_ID_LENGTH + 8 + 16 + SIGNATURE_LENGTH;
const U64_MASK = (1n << 64n) - 1n;

function fixedBytes(value: string, length: number, what: string): Uint8Array {
  if (!isHex(value, { strict: true }) || value.length !== 2 + 2 * length) {
    throw new CodecError(`${what} must be ${length} bytes of hex`);
  }
  return hexToBytes(value as Hex);
}

export function encodeClaim(claim: Claim): Uint8Array {
  if (!Number.isSafeInteger(claim.chainId) || claim.chainId < 0) {
    throw new CodecError(`chainId ${claim.chainId} is not a non-negative safe integer`);
  }
  if (claim.nonce < 0n || claim.nonce > U64_MASK) throw new CodecError(`nonce out of range: ${claim.nonce}`);
  if (claim.transferredAmount < 0n || claim.transferredAmount > MAX_UINT128) {
    throw new CodecError(`transferredAmount out of range: ${claim.transferredAmount}`);
  }
  const tokenNetwork = fixedBytes(claim.tokenNetwork, ADDRESS_LENGTH, 'tokenNetwork');
  const channelId = fixedBytes(claim.channelId, CHANNEL_ID_LENGTH, 'channelId');
  const signature = fixedBytes(claim.signature, SIGNATURE_LENGTH, 'signature');
  // Everything is checked before the Writer takes its slab bytes, so it writes all it allocates.
  const writer = new Writer(CLAIM_WIRE_LENGTH);
  writer.writeUInt8(CLAIM_CODEC_VERSION);
  writer.writeUInt64(BigInt(claim.chainId));
  writer.writeOctetString(tokenNetwork);
  writer.writeOctetString(channelId);
  writer.writeUInt64(claim.nonce);
  writer.writeUInt64(claim.transferredAmount >> 64n);
  writer.writeUInt64(claim.transferredAmount & U64_MASK);
  writer.writeOctetString(signature);
  return writer.finish();
}

export function decodeClaim(bytes: Uint8Array): Claim {
  if (bytes.length !== CLAIM_WIRE_LENGTH) {
    throw new CodecError(`claim must be ${CLAIM_WIRE_LENGTH} bytes, got ${bytes.length}`, 0);
  }
  const reader = new Reader(bytes);
  const version = reader.readUInt8();
  if (version !== CLAIM_CODEC_VERSION) throw new CodecError(`unknown claim version ${version}`, 0);
  const chainId = reader.readUInt64();
  if (chainId > BigInt(Number.MAX_SAFE_INTEGER)) throw new CodecError(`chainId ${chainId} exceeds 2^53-1`, 1);
  const tokenNetwork = bytesToHex(reader.readOctetString(ADDRESS_LENGTH));
  const channelId = bytesToHex(reader.readOctetString(CHANNEL_ID_LENGTH));
  const nonce = reader.readUInt64();
  const transferredAmount = (reader.readUInt64() << 64n) | reader.readUInt64();
  const signature = bytesToHex(reader.readOctetString(SIGNATURE_LENGTH));
  reader.done('claim');
  return Object.freeze({
    chainId: Number(chainId),
    tokenNetwork,
    channelId,
    nonce,
    transferredAmount,
    signature,
  });
}
