/**
 * The HTTP request as it travels in the Prepare's data (docs/gateway.md, "Request in a
 * Prepare"): an HTTP/1.1 request message (RFC 9112 §3) with the path and query as received, the
 * headers an agent needs, and the body. `x402-payer` and `x402-nonce` name the authorization, so
 * two requests never carry the same data (and condition). ILP data is at most 32767 bytes.
 */
import type { Address, Hex } from 'viem';

export const MAX_ILP_DATA_BYTES = 32_767;
/** Request headers passed on to the agent; the rest (cookies, auth, X-PAYMENT) stay at the gateway. */
export const FORWARDED_HEADERS = ['content-type', 'accept', 'accept-language', 'user-agent'] as const;

export interface GatewayRequest {
  readonly method: string;
  /** Path and query, as received (origin-form). */
  readonly target: string;
  readonly host: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: Uint8Array;
  readonly payer: Address;
  readonly nonce: Hex;
}

/** The request's bytes, or undefined when they would not fit in a Prepare. */
export function encodeIlpRequest(r: GatewayRequest): Uint8Array | undefined {
  const lines = [`${r.method} ${r.target} HTTP/1.1`, `host: ${r.host}`];
  for (const name of FORWARDED_HEADERS) {
    const value = r.headers[name];
    if (value !== undefined) lines.push(`${name}: ${value}`);
  }
  lines.push(`content-length: ${r.body.length}`, `x402-payer: ${r.payer}`, `x402-nonce: ${r.nonce}`);
  const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  if (head.length + r.body.length > MAX_ILP_DATA_BYTES) return undefined;
  return Buffer.concat([head, r.body]);
}
