/**
 * The off-chain claim: a sender-signed cumulative BalanceProof (typed-data.ts) and the checks a
 * receiver makes before crediting it (DESIGN §7; docs/contracts.md lists what the contract
 * accepts). A refusal is a value with a reason, not an exception: a peer's bad claim is input.
 */
import { type Address, type Hex, isAddress, isHex, recoverAddress } from 'viem';
import { signatureProblem } from '../../keys/signature.js';
import type { Signer } from '../../keys/signer.js';
import { ConnectorError } from '../../utils/errors.js';
import { sameHex } from '../../utils/text.js';
import {
  balanceProofDigest,
  balanceProofTypedData,
  type ChannelRef,
  cooperativeSettleTypedData,
  MAX_UINT64,
  MAX_UINT128,
} from './typed-data.js';

export interface Claim extends ChannelRef {
  /** Grows with every claim the sender signs; the first is 1. */
  readonly nonce: bigint;
  /** Cumulative: all the sender has paid on this channel, in token base units. */
  readonly transferredAmount: bigint;
  /** 65 bytes r ‖ s ‖ v, low-s, v ∈ {27, 28}. */
  readonly signature: Hex;
}

/** What the receiver knows: the channel (from chain and config) and the last claim it accepted. */
export interface ClaimExpectation extends ChannelRef {
  /** The channel's sender, which must be the peer's configured `evmAddress`. */
  readonly sender: Address;
  /** The channel's current deposit. */
  readonly deposit: bigint;
  /** Nonce and amount of the last accepted claim; 0n for none. */
  readonly lastNonce: bigint;
  readonly lastAmount: bigint;
}

export const CLAIM_REFUSALS = [
  'wrong-chain',
  'wrong-contract',
  'wrong-channel',
  'malformed-claim',
  'malformed-signature',
  'malleable-signature',
  'wrong-signer',
  'stale-nonce',
  'amount-decreased',
  'exceeds-deposit',
] as const;
export type ClaimRefusal = (typeof CLAIM_REFUSALS)[number];

export type ClaimVerdict =
  | { readonly ok: true; readonly signer: Address; readonly delta: bigint }
  | { readonly ok: false; readonly reason: ClaimRefusal; readonly message: string };

const BYTES32 = /^0x[0-9a-fA-F]{64}$/;

function refuse(reason: ClaimRefusal, message: string): ClaimVerdict {
  return { ok: false, reason, message };
}

function fieldProblem(claim: Claim): string | undefined {
  if (!Number.isSafeInteger(claim.chainId) || claim.chainId <= 0) return 'chainId is not a positive integer';
  if (!isAddress(claim.tokenNetwork, { strict: false })) return 'tokenNetwork is not an address';
  if (!BYTES32.test(claim.channelId)) return 'channelId is not 32 bytes of hex';
  if (claim.nonce < 1n || claim.nonce > MAX_UINT64) return 'nonce is not in 1..2^64-1';
  if (claim.transferredAmount < 0n || claim.transferredAmount > MAX_UINT128) {
    return 'transferredAmount is not in 0..2^128-1';
  }
  return undefined;
}

/** What a channel record holds of its latest claim (channels/channel-store.ts). */
export interface ClaimedChannel extends ChannelRef {
  readonly nonce: bigint;
  readonly transferred: bigint;
}

/** The channel's latest claim as signed (`signature`: the channel's, once known to be there). */
export function latestClaim(c: ClaimedChannel, signature: Hex): Claim {
  return {
    chainId: c.chainId,
    tokenNetwork: c.tokenNetwork,
    channelId: c.channelId,
    nonce: c.nonce,
    transferredAmount: c.transferred,
    signature,
  };
}

export async function signClaim(
  signer: Signer,
  ref: ChannelRef,
  nonce: bigint,
  transferredAmount: bigint,
): Promise<Claim> {
  const claim = { ...ref, nonce, transferredAmount, signature: '0x' as Hex };
  const problem = fieldProblem(claim);
  if (problem !== undefined)
    throw new ConnectorError('ERR_INVALID_ARGUMENT', `cannot sign claim: ${problem}`);
  const signature = await signer.signTypedData(balanceProofTypedData(ref, nonce, transferredAmount));
  return Object.freeze({ ...claim, signature });
}

/** Either participant's signature for `cooperativeSettle`. */
export function signCooperativeSettle(
  signer: Signer,
  ref: ChannelRef,
  transferredAmount: bigint,
): Promise<Hex> {
  if (transferredAmount < 0n || transferredAmount > MAX_UINT128) {
    throw new ConnectorError('ERR_INVALID_ARGUMENT', 'transferredAmount is not in 0..2^128-1');
  }
  return signer.signTypedData(cooperativeSettleTypedData(ref, transferredAmount));
}

/**
 * Accepts a claim only if the contract would (signer, nonce, amount bounds) on the channel the
 * receiver expects; `delta` is what to credit. The caller persists the accepted claim and
 * passes it as the next `lastNonce`/`lastAmount`.
 */
export async function verifyClaim(claim: Claim, expected: ClaimExpectation): Promise<ClaimVerdict> {
  if (claim.chainId !== expected.chainId) {
    return refuse('wrong-chain', `claim is for chain ${claim.chainId}, expected ${expected.chainId}`);
  }
  if (!sameHex(claim.tokenNetwork, expected.tokenNetwork)) {
    return refuse(
      'wrong-contract',
      `claim is for TokenNetwork ${claim.tokenNetwork}, expected ${expected.tokenNetwork}`,
    );
  }
  if (!sameHex(claim.channelId, expected.channelId)) {
    return refuse('wrong-channel', `claim is for channel ${claim.channelId}, expected ${expected.channelId}`);
  }
  const problem = fieldProblem(claim);
  if (problem !== undefined) return refuse('malformed-claim', problem);
  const shape = isHex(claim.signature, { strict: true }) ? signatureProblem(claim.signature) : 'malformed';
  if (shape === 'malformed')
    return refuse('malformed-signature', 'signature is not 65 bytes r ‖ s ‖ v with v 27/28');
  if (shape === 'malleable')
    return refuse('malleable-signature', 'signature s is in the upper half (malleable)');
  const digest = balanceProofDigest(claim, claim.nonce, claim.transferredAmount);
  let signer: Address;
  try {
    signer = await recoverAddress({ hash: digest, signature: claim.signature });
  } catch {
    return refuse('malformed-signature', 'signature does not recover to any address');
  }
  if (!sameHex(signer, expected.sender)) {
    return refuse(
      'wrong-signer',
      `claim is signed by ${signer}, not the channel's sender ${expected.sender}`,
    );
  }
  if (claim.nonce <= expected.lastNonce) {
    return refuse('stale-nonce', `nonce ${claim.nonce} is not above the last accepted ${expected.lastNonce}`);
  }
  if (claim.transferredAmount < expected.lastAmount) {
    return refuse(
      'amount-decreased',
      `amount ${claim.transferredAmount} is below the last accepted ${expected.lastAmount}`,
    );
  }
  if (claim.transferredAmount > expected.deposit) {
    return refuse(
      'exceeds-deposit',
      `amount ${claim.transferredAmount} exceeds the deposit ${expected.deposit}`,
    );
  }
  return { ok: true, signer, delta: claim.transferredAmount - expected.lastAmount };
}
