/**
 * x402 in front of Interledger (docs/gateway.md, "HTTP to ILP"): one paid HTTP request becomes
 * one ILP Prepare. No payment: 402 with the requirements. A payment is verified (verify.ts), held
 * durably (authorization-store.ts), and only then the Prepare leaves. A Fulfill is recorded, the
 * authorization settled on chain (settler.ts) and the Fulfill's data answered with
 * `X-PAYMENT-RESPONSE`; a Reject voids the authorization and answers an HTTP error, nothing paid.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Address } from 'viem';
import { computeConditionFromData } from '../codec/condition.js';
import type { IlpReject, IlpReply } from '../codec/index.js';
import type { Logger } from '../utils/logger.js';
import { messageOf } from '../utils/text.js';
import { type AuthorizationStore, authorizationId, type StoredAuthorization } from './authorization-store.js';
import type { RemoteFacilitator } from './facilitator.js';
import { readBody, sendJson } from './http-io.js';
import { encodeIlpRequest } from './ilp-request.js';
import { type GatewayRoute, matchRoute, requirementsOf } from './routes.js';
import type { Settler } from './settler.js';
import { type TokenDomain, type TokenReads, verifyLocally, verifyOnChain } from './verify.js';
import {
  decodePaymentHeader,
  type ExactEvmPayment,
  encodeSettleResponse,
  type PaymentRequirements,
  paymentRequiredBody,
  X402_VERSION,
} from './x402.js';

export interface IlpPrepareRequest {
  readonly destination: string;
  readonly amount: bigint;
  readonly executionCondition: Uint8Array;
  readonly expiresAt: Date;
  readonly data: Uint8Array;
}

export interface InboundOptions {
  readonly routes: readonly GatewayRoute[];
  readonly network: string;
  readonly payTo: Address;
  readonly domain: TokenDomain;
  /** Base of the `resource` URLs (no trailing slash). */
  readonly baseUrl: () => string;
  readonly store: AuthorizationStore;
  readonly settler: Settler;
  readonly token: TokenReads;
  /** When set, verification beyond the local checks is this facilitator's `/verify`, not the gateway's chain reads. */
  readonly remote?: RemoteFacilitator | undefined;
  readonly send: (prepare: IlpPrepareRequest) => Promise<IlpReply>;
  readonly settleMarginSeconds: number;
  readonly packetTimeoutMs: number;
  readonly maxRequestBodyBytes: number;
  readonly now: () => number;
  readonly logger: Logger;
}

/** Counters of what the gateway did, for the node's status. */
export interface InboundStats {
  paymentRequired: number;
  refused: number;
  fulfilled: number;
  rejected: number;
  settled: number;
  settleFailed: number;
}

/** Minimum ILP window: less than this and the Prepare would expire before any hop answers. */
const MIN_PACKET_WINDOW_S = 2;

export class InboundGateway {
  readonly stats: InboundStats = {
    paymentRequired: 0,
    refused: 0,
    fulfilled: 0,
    rejected: 0,
    settled: 0,
    settleFailed: 0,
  };

  constructor(private readonly o: InboundOptions) {}

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://gateway.invalid');
    const route = matchRoute(this.o.routes, url.pathname);
    if (route === undefined) {
      sendJson(res, 404, { error: 'not_found', message: `no paid resource at ${url.pathname}` });
      return;
    }
    const requirements = requirementsOf(
      route,
      `${this.o.baseUrl()}${url.pathname}`,
      this.o.network,
      this.o.payTo,
      this.o.domain,
    );
    const header = req.headers['x-payment'];
    if (typeof header !== 'string' || header === '') {
      this.stats.paymentRequired++;
      sendJson(res, 402, paymentRequiredBody([requirements], 'X-PAYMENT header is required'));
      return;
    }
    const decoded = decodePaymentHeader(header);
    if (!decoded.ok) return this.#refuse(res, requirements, decoded.error, decoded.message);
    const payment = decoded.value;
    const body = await readBody(req, this.o.maxRequestBodyBytes);
    if (body === undefined) {
      sendJson(
        res,
        413,
        { error: 'request_too_large', message: `body over ${this.o.maxRequestBodyBytes} bytes` },
        {
          connection: 'close',
        },
      );
      return;
    }
    const a = payment.authorization;
    const input = {
      payment,
      requirements,
      price: route.price,
      domain: this.o.domain,
      nowSeconds: BigInt(Math.floor(this.o.now() / 1000)),
      minValidSeconds: BigInt(this.o.settleMarginSeconds + MIN_PACKET_WINDOW_S),
      // This payment is held already (below): what the payer had held before it counts.
      heldOf: () => this.o.store.heldBefore(authorizationId(a.from, a.nonce)),
      token: this.o.token,
    };
    const local = await verifyLocally(input);
    if (!local.valid) return this.#refuse(res, requirements, local.reason, local.message, payment);
    const data = encodeIlpRequest({
      method: req.method ?? 'GET',
      target: req.url ?? '/',
      host: req.headers.host ?? '',
      headers: req.headers as Record<string, string | undefined>,
      body,
      payer: a.from,
      nonce: a.nonce,
    });
    if (data === undefined) {
      sendJson(res, 413, {
        error: 'request_too_large',
        message: 'the request does not fit in an ILP packet',
      });
      return;
    }
    const id = authorizationId(a.from, a.nonce);
    const stored: StoredAuthorization = {
      id,
      network: payment.network,
      asset: this.o.domain.verifyingContract,
      signature: payment.signature,
      authorization: a,
      destination: route.destination,
      amount: route.amount,
      heldAtMs: this.o.now(),
      resource: requirements.resource,
    };
    // Held at once (a second use of it is refused from here on, and the payer's other payments
    // in progress count against its balance), written while the chain is read.
    const held = this.o.store.hold(stored);
    if (!held.accepted)
      return this.#refuse(res, requirements, 'duplicate_settlement', 'authorization already in use', payment);
    const remote = this.o.remote;
    const [onChain, durable] = await Promise.allSettled([
      remote === undefined ? verifyOnChain(input) : remote.verify(payment, requirements),
      held.durable,
    ]);
    if (durable.status === 'rejected') {
      sendJson(res, 503, { error: 'store_unavailable', message: messageOf(durable.reason) });
      return;
    }
    if (onChain.status === 'rejected' || !onChain.value.valid) {
      await this.o.store.voided(id, 'verification failed').catch(() => undefined);
      if (onChain.status === 'fulfilled' && !onChain.value.valid)
        return this.#refuse(res, requirements, onChain.value.reason, onChain.value.message, payment);
      const reason = onChain.status === 'rejected' ? messageOf(onChain.reason) : '';
      sendJson(res, 503, { x402Version: X402_VERSION, error: 'unexpected_verify_error', message: reason });
      return;
    }
    await this.#pay(res, route, payment, stored, data);
  }

  async #pay(
    res: ServerResponse,
    route: GatewayRoute,
    payment: ExactEvmPayment,
    stored: StoredAuthorization,
    data: Uint8Array,
  ): Promise<void> {
    const a = payment.authorization;
    const id = stored.id;
    const reply = await this.#send(route, a.validBefore, data);
    if (reply.type === 14) return this.#rejected(res, id, reply);
    this.stats.fulfilled++;
    await this.o.store
      .fulfilled(id)
      .catch((error) => this.o.logger.error({ err: error, id }, 'could not record a Fulfill'));
    const result = await this.o.settler.settle(stored);
    const response = {
      success: result.settled,
      transaction: result.settled ? result.tx : '',
      network: payment.network,
      payer: a.from,
      ...(result.settled ? {} : { errorReason: 'unexpected_settle_error' as const }),
    };
    if (result.settled) this.stats.settled++;
    else this.stats.settleFailed++;
    if (!result.settled && !result.retrying) {
      // Refused on chain (the payer's balance went elsewhere): no resource without payment.
      sendJson(res, 402, {
        ...paymentRequiredBody([], 'unexpected_settle_error', a.from),
        message: result.reason,
      });
      return;
    }
    res.writeHead(200, {
      'content-type': route.mimeType,
      'content-length': reply.data.length,
      'x-payment-response': encodeSettleResponse(response),
      'access-control-expose-headers': 'X-PAYMENT-RESPONSE',
    });
    res.end(reply.data);
  }

  async #send(route: GatewayRoute, validBefore: bigint, data: Uint8Array): Promise<IlpReply> {
    const nowMs = this.o.now();
    const latestMs = Number(validBefore - BigInt(this.o.settleMarginSeconds)) * 1000;
    const expiresAt = new Date(Math.min(nowMs + this.o.packetTimeoutMs, latestMs));
    try {
      return await this.o.send({
        destination: route.destination,
        amount: route.amount,
        executionCondition: computeConditionFromData(data),
        expiresAt,
        data,
      });
    } catch (error) {
      return { type: 14, code: 'T00', triggeredBy: '', message: messageOf(error), data: new Uint8Array(0) };
    }
  }

  async #rejected(res: ServerResponse, id: string, reject: IlpReject): Promise<void> {
    this.stats.rejected++;
    await this.o.store.voided(id, `ILP ${reject.code}`).catch(() => undefined);
    const status = reject.code.startsWith('R') ? 504 : reject.code.startsWith('T') ? 503 : 502;
    sendJson(res, status, {
      x402Version: X402_VERSION,
      error: 'ilp_rejected',
      message: `the resource's ILP destination refused the request; nothing was charged`,
      ilp: { code: reject.code, message: reject.message, triggeredBy: reject.triggeredBy },
    });
  }

  #refuse(
    res: ServerResponse,
    requirements: PaymentRequirements | readonly PaymentRequirements[],
    error: string,
    message: string,
    payment?: ExactEvmPayment,
  ): void {
    this.stats.refused++;
    const accepts = Array.isArray(requirements) ? requirements : [requirements as PaymentRequirements];
    sendJson(res, 402, { ...paymentRequiredBody(accepts, error, payment?.authorization.from), message });
  }
}
