/**
 * A remote x402 facilitator (`gateway.facilitatorUrl`, docs/gateway.md, "Remote facilitator"):
 * instead of reading the chain for a verification and sending `transferWithAuthorization`
 * itself, the gateway POSTs `{x402Version, paymentPayload, paymentRequirements}` to the
 * facilitator's `/verify` (answer `{isValid, invalidReason?, payer?}`) and `/settle` (answer
 * `{success, errorReason?, transaction, network, payer?}`), the x402 facilitator HTTP API.
 * Failures map to what the gateway's own facilitator would give: a refusal is a `Verdict` or a
 * non-transient ChainError (voids the authorization), an unreachable or garbled facilitator a
 * transient one (retried until the window ends).
 */
import type { Hash } from 'viem';
import { ChainError } from '../settlement/index.js';
import { messageOf } from '../utils/text.js';
import type { StoredAuthorization } from './authorization-store.js';
import type { TokenDomain, Verdict } from './verify.js';
import {
  EXACT_SCHEME,
  type ExactEvmPayment,
  type PaymentRequirements,
  X402_VERSION,
  type X402Error,
} from './x402.js';

const KNOWN_REASONS: ReadonlySet<string> = new Set<X402Error>([
  'insufficient_funds',
  'invalid_exact_evm_payload_authorization_valid_after',
  'invalid_exact_evm_payload_authorization_valid_before',
  'invalid_exact_evm_payload_authorization_value',
  'invalid_exact_evm_payload_signature',
  'invalid_exact_evm_payload_recipient_mismatch',
  'invalid_network',
  'invalid_payload',
  'invalid_scheme',
  'invalid_x402_version',
  'duplicate_settlement',
]);

export interface RemoteFacilitatorOptions {
  /** Base URL; `/verify` and `/settle` are appended. */
  readonly url: string;
  readonly timeoutMs: number;
  readonly domain: TokenDomain;
  /** A `resource` URL for a settlement whose own was not stored (the gateway's base URL). */
  readonly fallbackResource: () => string;
}

export class RemoteFacilitator {
  readonly #base: string;

  constructor(private readonly o: RemoteFacilitatorOptions) {
    this.#base = o.url.replace(/\/+$/, '');
  }

  /** The facilitator's `/verify`; an unreachable one throws (the caller answers 503). */
  async verify(payment: ExactEvmPayment, requirements: PaymentRequirements): Promise<Verdict> {
    const body = await this.#post('verify', payloadOf(payment), requirements);
    if (typeof body.isValid !== 'boolean')
      throw new Error('the facilitator answered /verify without isValid');
    if (body.isValid) return { valid: true };
    const reason = String(body.invalidReason ?? '');
    return {
      valid: false,
      reason: (KNOWN_REASONS.has(reason) ? reason : 'unexpected_verify_error') as X402Error,
      message: `the facilitator refused the payment: ${reason || 'no reason given'}`,
    };
  }

  /** The facilitator's `/settle`: the transaction, or a ChainError (transient unless it refused). */
  async settle(stored: StoredAuthorization): Promise<Hash> {
    const a = stored.authorization;
    const payment: ExactEvmPayment = {
      x402Version: X402_VERSION,
      scheme: EXACT_SCHEME,
      network: stored.network,
      signature: stored.signature,
      authorization: a,
    };
    const requirements: PaymentRequirements = {
      scheme: EXACT_SCHEME,
      network: stored.network,
      maxAmountRequired: a.value.toString(),
      resource: stored.resource ?? this.o.fallbackResource(),
      description: '',
      mimeType: '',
      payTo: a.to,
      maxTimeoutSeconds: Number(a.validBefore > a.validAfter ? a.validBefore - a.validAfter : 60n),
      asset: stored.asset,
      extra: { name: this.o.domain.name, version: this.o.domain.version },
    };
    let body: Record<string, unknown>;
    try {
      body = await this.#post('settle', payloadOf(payment), requirements);
    } catch (error) {
      throw new ChainError('rpc', 'facilitator /settle', messageOf(error));
    }
    if (typeof body.success !== 'boolean')
      throw new ChainError('rpc', 'facilitator /settle', 'answered without success');
    const tx = typeof body.transaction === 'string' ? body.transaction : '';
    if (!body.success)
      throw new ChainError(
        'revert',
        'facilitator /settle',
        `refused: ${String(body.errorReason ?? 'no reason')}`,
        {
          ...(/^0x[0-9a-fA-F]{64}$/.test(tx) ? { txHash: tx } : {}),
        },
      );
    if (!/^0x[0-9a-fA-F]{64}$/.test(tx))
      throw new ChainError('rpc', 'facilitator /settle', `answered success without a transaction hash`);
    return tx as Hash;
  }

  async #post(
    path: 'verify' | 'settle',
    paymentPayload: unknown,
    paymentRequirements: PaymentRequirements,
  ): Promise<Record<string, unknown>> {
    const res = await fetch(`${this.#base}/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ x402Version: X402_VERSION, paymentPayload, paymentRequirements }),
      redirect: 'error',
      signal: AbortSignal.timeout(this.o.timeoutMs),
    });
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error(`the facilitator answered /${path} with ${res.status} and no JSON`);
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw new Error(`the facilitator answered /${path} with ${res.status} and no object`);
    // x402's own client reads the body of a non-200 answer too (a refusal may come as 400).
    return body as Record<string, unknown>;
  }
}

/** The X-PAYMENT payload as JSON: amounts and times as decimal strings. */
function payloadOf(p: ExactEvmPayment): unknown {
  const a = p.authorization;
  return {
    x402Version: p.x402Version,
    scheme: p.scheme,
    network: p.network,
    payload: {
      signature: p.signature,
      authorization: {
        from: a.from,
        to: a.to,
        value: a.value.toString(),
        validAfter: a.validAfter.toString(),
        validBefore: a.validBefore.toString(),
        nonce: a.nonce,
      },
    },
  };
}
