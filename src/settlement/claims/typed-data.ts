/**
 * The EIP-712 messages TokenNetwork verifies (docs/contracts.md, "Proof format"), field for
 * field: domain `EIP712Domain(string name,string version,uint256 chainId,address
 * verifyingContract)` with name "TokenNetwork", version "1";
 * `BalanceProof(bytes32 channelId,uint64 nonce,uint128 transferredAmount)` signed by the sender;
 * `CooperativeSettle(bytes32 channelId,uint128 transferredAmount)` signed by both.
 */
import { type Address, type Hex, hashTypedData } from 'viem';

export const DOMAIN_NAME = 'TokenNetwork';
export const DOMAIN_VERSION = '1';
export const MAX_UINT64 = (1n << 64n) - 1n;
export const MAX_UINT128 = (1n << 128n) - 1n;

/** Where a proof applies: the domain (chain, contract) and the channel. */
export interface ChannelRef {
  readonly chainId: number;
  readonly tokenNetwork: Address;
  readonly channelId: Hex;
}

export const balanceProofTypes = {
  BalanceProof: [
    { name: 'channelId', type: 'bytes32' },
    { name: 'nonce', type: 'uint64' },
    { name: 'transferredAmount', type: 'uint128' },
  ],
} as const;

export const cooperativeSettleTypes = {
  CooperativeSettle: [
    { name: 'channelId', type: 'bytes32' },
    { name: 'transferredAmount', type: 'uint128' },
  ],
} as const;

function domain(ref: ChannelRef) {
  return {
    name: DOMAIN_NAME,
    version: DOMAIN_VERSION,
    chainId: ref.chainId,
    verifyingContract: ref.tokenNetwork,
  };
}

export function balanceProofTypedData(ref: ChannelRef, nonce: bigint, transferredAmount: bigint) {
  return {
    domain: domain(ref),
    types: balanceProofTypes,
    primaryType: 'BalanceProof',
    message: { channelId: ref.channelId, nonce, transferredAmount },
  } as const;
}

export function cooperativeSettleTypedData(ref: ChannelRef, transferredAmount: bigint) {
  return {
    domain: domain(ref),
    types: cooperativeSettleTypes,
    primaryType: 'CooperativeSettle',
    message: { channelId: ref.channelId, transferredAmount },
  } as const;
}

/** What the contract's `balanceProofDigest` returns for the same inputs. */
export function balanceProofDigest(ref: ChannelRef, nonce: bigint, transferredAmount: bigint): Hex {
  return hashTypedData(balanceProofTypedData(ref, nonce, transferredAmount));
}

export function cooperativeSettleDigest(ref: ChannelRef, transferredAmount: bigint): Hex {
  return hashTypedData(cooperativeSettleTypedData(ref, transferredAmount));
}
