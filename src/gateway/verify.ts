/**
 * Verifying an `exact` EVM payment as a facilitator's `/verify` does (x402 1.2), plus what that
 * leaves to the chain: the nonce must be unused (`authorizationState`) and the payer's balance
 * must cover this payment on top of those this gateway holds but has not settled yet. Cheap
 * local checks run first; the two chain reads only for a payment that passed them.
 */
import { type Address, type Hex, recoverTypedDataAddress } from 'viem';
import { signatureProblem } from '../keys/index.js';
import type { Authorization, ExactEvmPayment, PaymentRequirements, X402Error } from './x402.js';
import { EXACT_SCHEME, X402_VERSION } from './x402.js';

/** EIP-3009's TransferWithAuthorization, the type x402 clients sign. */
export const TRANSFER_WITH_AUTHORIZATION_TYPES = {
  TransferWithAuthorization: [
    { name: 'from', type: 'address' },
    { name: 'to', type: 'address' },
    { name: 'value', type: 'uint256' },
    { name: 'validAfter', type: 'uint256' },
    { name: 'validBefore', type: 'uint256' },
    { name: 'nonce', type: 'bytes32' },
  ],
} as const;

export interface TokenDomain {
  readonly name: string;
  readonly version: string;
  readonly chainId: number;
  readonly verifyingContract: Address;
}

/** The chain reads a verification needs (gateway/token.ts implements them). */
export interface TokenReads {
  balanceOf(owner: Address): Promise<bigint>;
  authorizationState(authorizer: Address, nonce: Hex): Promise<boolean>;
}

export interface VerifyInput {
  readonly payment: ExactEvmPayment;
  readonly requirements: PaymentRequirements;
  readonly price: bigint;
  readonly domain: TokenDomain;
  readonly nowSeconds: bigint;
  /** The authorization must stay valid at least this long from now (ILP round trip + settlement). */
  readonly minValidSeconds: bigint;
  /** What this payer owes in authorizations held but not yet settled. */
  readonly heldOf: (payer: Address) => bigint;
  readonly token: TokenReads;
}

export type Verdict = { valid: true } | { valid: false; reason: X402Error; message: string };

const refuse = (reason: X402Error, message: string): Verdict => ({ valid: false, reason, message });

/** The checks that need no chain: version, scheme, network, recipient, value, window, signature. */
export async function verifyLocally(input: VerifyInput): Promise<Verdict> {
  const { payment, requirements, price, domain, nowSeconds, minValidSeconds } = input;
  const a = payment.authorization;
  if (payment.x402Version !== X402_VERSION)
    return refuse('invalid_x402_version', `x402Version ${payment.x402Version} is not ${X402_VERSION}`);
  if (payment.scheme !== EXACT_SCHEME)
    return refuse('invalid_scheme', `scheme ${payment.scheme} is not exact`);
  if (payment.network !== requirements.network)
    return refuse('invalid_network', `network ${payment.network} is not ${requirements.network}`);
  if (a.to !== requirements.payTo)
    return refuse('invalid_exact_evm_payload_recipient_mismatch', `pays ${a.to}, not ${requirements.payTo}`);
  // `exact`: the authorization moves the price, no less (refused) and no more (not taken).
  if (a.value !== price)
    return refuse(
      'invalid_exact_evm_payload_authorization_value',
      `value ${a.value} is not the price ${price}`,
    );
  if (a.validAfter >= nowSeconds)
    return refuse('invalid_exact_evm_payload_authorization_valid_after', `not valid before ${a.validAfter}`);
  if (a.validBefore < nowSeconds + minValidSeconds)
    return refuse(
      'invalid_exact_evm_payload_authorization_valid_before',
      `expires at ${a.validBefore}; the gateway needs it valid until at least ${nowSeconds + minValidSeconds}`,
    );
  const problem = signatureProblem(payment.signature);
  if (problem !== undefined)
    return refuse(
      'invalid_exact_evm_payload_signature',
      `signature is ${problem} (65 bytes, low s, v 27/28)`,
    );
  const signer = await recoverSigner(domain, a, payment.signature);
  if (signer !== a.from)
    return refuse('invalid_exact_evm_payload_signature', 'not signed by `from` over this token and chain');
  return { valid: true };
}

/** The chain's part: the nonce unused, the balance enough beyond what is already held. */
export async function verifyOnChain(input: VerifyInput): Promise<Verdict> {
  const a = input.payment.authorization;
  const [used, balance] = await Promise.all([
    input.token.authorizationState(a.from, a.nonce),
    input.token.balanceOf(a.from),
  ]);
  if (used) return refuse('duplicate_settlement', `authorization ${a.nonce} of ${a.from} is already used`);
  const held = input.heldOf(a.from);
  if (balance < held + a.value)
    return refuse('insufficient_funds', `balance ${balance} does not cover ${a.value} (plus ${held} held)`);
  return { valid: true };
}

async function recoverSigner(
  domain: TokenDomain,
  a: Authorization,
  signature: Hex,
): Promise<Address | undefined> {
  try {
    return await recoverTypedDataAddress({
      domain,
      types: TRANSFER_WITH_AUTHORIZATION_TYPES,
      primaryType: 'TransferWithAuthorization',
      message: a,
      signature,
    });
  } catch {
    return undefined;
  }
}
