/**
 * The x402 v1 wire shapes the gateway speaks (the `exact` scheme on EVM, as the `x402` npm
 * package 1.2 defines them): payment requirements in a 402 answer, the `X-PAYMENT` header (base64
 * JSON of a signed EIP-3009 authorization) and the `X-PAYMENT-RESPONSE` header. Decoding is
 * strict and bounded; amounts become bigint here and strings again only on the wire.
 */
import { type Address, getAddress, type Hex } from 'viem';
import { z } from 'zod';

export const X402_VERSION = 1;
export const EXACT_SCHEME = 'exact';
/** A header longer than this is refused before it is decoded (a real one is ~600 characters). */
export const MAX_PAYMENT_HEADER_CHARS = 4096;

/** x402's EVM network names and their chain ids (x402 1.2, `EvmNetworkToChainId`). */
export const EVM_NETWORKS: ReadonlyMap<string, number> = new Map([
  ['abstract', 2741],
  ['abstract-testnet', 11124],
  ['base-sepolia', 84532],
  ['base', 8453],
  ['avalanche-fuji', 43113],
  ['avalanche', 43114],
  ['iotex', 4689],
  ['sei', 1329],
  ['sei-testnet', 1328],
  ['polygon', 137],
  ['polygon-amoy', 80002],
  ['peaq', 3338],
  ['story', 1514],
  ['educhain', 41923],
  ['skale-base-sepolia', 324705682],
]);

/** The error reasons of x402 1.2 (`ErrorReasons`) that this gateway answers with. */
export type X402Error =
  | 'insufficient_funds'
  | 'invalid_exact_evm_payload_authorization_valid_after'
  | 'invalid_exact_evm_payload_authorization_valid_before'
  | 'invalid_exact_evm_payload_authorization_value'
  | 'invalid_exact_evm_payload_signature'
  | 'invalid_exact_evm_payload_recipient_mismatch'
  | 'invalid_network'
  | 'invalid_payload'
  | 'invalid_scheme'
  | 'invalid_x402_version'
  | 'duplicate_settlement'
  | 'unexpected_verify_error'
  | 'unexpected_settle_error';

export interface PaymentRequirements {
  readonly scheme: typeof EXACT_SCHEME;
  readonly network: string;
  readonly maxAmountRequired: string;
  readonly resource: string;
  readonly description: string;
  readonly mimeType: string;
  readonly payTo: Address;
  readonly maxTimeoutSeconds: number;
  readonly asset: Address;
  readonly extra: { readonly name: string; readonly version: string };
}

export interface Authorization {
  readonly from: Address;
  readonly to: Address;
  readonly value: bigint;
  readonly validAfter: bigint;
  readonly validBefore: bigint;
  readonly nonce: Hex;
}

export interface ExactEvmPayment {
  readonly x402Version: number;
  readonly scheme: string;
  readonly network: string;
  readonly signature: Hex;
  readonly authorization: Authorization;
}

export interface SettleResponse {
  readonly success: boolean;
  readonly transaction: string;
  readonly network: string;
  readonly payer: string;
  readonly errorReason?: X402Error;
}

const uint = (digits: number) => z.string().regex(new RegExp(`^[0-9]{1,${digits}}$`));
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/);

const paymentSchema = z.object({
  x402Version: z.number().int(),
  scheme: z.string().max(64),
  network: z.string().max(64),
  payload: z.object({
    // 65 bytes for an EOA; smart-wallet (ERC-1271/6492) signatures are longer and not taken here.
    signature: z.string().regex(/^0x[0-9a-fA-F]{1,2048}$/),
    authorization: z.object({
      from: address,
      to: address,
      value: uint(18),
      validAfter: uint(20),
      validBefore: uint(20),
      nonce: z.string().regex(/^0x[0-9a-fA-F]{64}$/),
    }),
  }),
});

export type Decoded<T> = { ok: true; value: T } | { ok: false; error: X402Error; message: string };

/** Decodes an `X-PAYMENT` header; never throws. */
export function decodePaymentHeader(header: string): Decoded<ExactEvmPayment> {
  const bad = (message: string): Decoded<ExactEvmPayment> => ({
    ok: false,
    error: 'invalid_payload',
    message,
  });
  if (header.length > MAX_PAYMENT_HEADER_CHARS)
    return bad(`longer than ${MAX_PAYMENT_HEADER_CHARS} characters`);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(header)) return bad('not base64');
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(header, 'base64').toString('utf8'));
  } catch {
    return bad('not base64 of JSON');
  }
  const parsed = paymentSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return bad(`${issue?.path.join('.') || 'payment'}: ${issue?.message ?? 'invalid'}`);
  }
  const { x402Version, scheme, network, payload } = parsed.data;
  const a = payload.authorization;
  return {
    ok: true,
    value: {
      x402Version,
      scheme,
      network,
      signature: payload.signature as Hex,
      authorization: {
        from: getAddress(a.from),
        to: getAddress(a.to),
        value: BigInt(a.value),
        validAfter: BigInt(a.validAfter),
        validBefore: BigInt(a.validBefore),
        nonce: a.nonce.toLowerCase() as Hex,
      },
    },
  };
}

/** The `X-PAYMENT-RESPONSE` header: base64 of the settle response's JSON. */
export function encodeSettleResponse(response: SettleResponse): string {
  return Buffer.from(JSON.stringify(response), 'utf8').toString('base64');
}

/** The JSON body of a 402 answer. */
export function paymentRequiredBody(
  accepts: readonly PaymentRequirements[],
  error: string,
  payer?: string,
): Record<string, unknown> {
  return { x402Version: X402_VERSION, error, accepts, ...(payer === undefined ? {} : { payer }) };
}
