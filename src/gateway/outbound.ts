/**
 * Interledger out to x402 (docs/gateway.md, "ILP to HTTP"): a Prepare to `<node>.x402` carries
 * an HTTP request (http-message.ts). The gateway calls the URL (allowlisted hosts only); on a
 * 402 it picks the requirement it can pay (exact, its network and token), checks that the
 * packet's amount covers the price plus its fee, pays with an EIP-3009 authorization signed by
 * the node's signer, and fulfills with the response. Every failure is a reject, never a throw.
 */
import { randomBytes } from 'node:crypto';
import { type Address, getAddress, type Hex, toHex } from 'viem';
import { computeConditionFromData } from '../codec/condition.js';
import type { Signer } from '../keys/index.js';
import type { PaymentRequest, PaymentResponse } from '../types/index.js';
import type { Logger } from '../utils/logger.js';
import { messageOf } from '../utils/text.js';
import { encodeHttpResponse, parseHttpRequest } from './http-message.js';
import { MAX_ILP_DATA_BYTES } from './ilp-request.js';
import { scaleExactly } from './routes.js';
import type { SpendLog } from './spend-log.js';
import { TRANSFER_WITH_AUTHORIZATION_TYPES } from './verify.js';
import { EXACT_SCHEME, X402_VERSION } from './x402.js';

export interface OutboundOptions {
  readonly signer: Signer;
  readonly network: string;
  readonly chainId: number;
  readonly asset: Address;
  readonly decimals: number;
  readonly assetScale: number;
  readonly allowedHosts: readonly string[];
  readonly maxPrice: bigint;
  readonly feePerRequest: bigint;
  /** Token base units payable per UTC day; undefined: no cap. */
  readonly dailySpendCap?: bigint | undefined;
  /** Where the day's spend is kept (durable); required with `dailySpendCap`. */
  readonly spend?: SpendLog | undefined;
  readonly now?: (() => number) | undefined;
  readonly requestTimeoutMs: number;
  readonly logger: Logger;
  /** Told of each payment the x402 server took (its settlement transaction when it said). */
  readonly onPaid?: ((url: string, price: bigint, payTo: string, tx: string | undefined) => void) | undefined;
}

/** Response headers that travel back in the Fulfill. */
const RETURNED_HEADERS = ['content-type', 'x-payment-response', 'cache-control', 'etag', 'last-modified'];
/** Request headers never passed to the server. */
const DROPPED_HEADERS = new Set(['host', 'content-length', 'connection', 'x-payment', 'transfer-encoding']);

interface Requirement {
  scheme: string;
  network: string;
  maxAmountRequired: string;
  payTo: string;
  asset: string;
  maxTimeoutSeconds: number;
  extra?: { name?: unknown; version?: unknown };
}

const reject = (code: string, message: string, data?: string): PaymentResponse => ({
  accept: false,
  rejectReason: { code, message },
  ...(data === undefined ? {} : { data: Buffer.from(data).toString('base64') }),
});

/** Counters of the outbound side, for the node's metrics. */
export interface OutboundStats {
  paid: number;
  free: number;
  refused: number;
  tokensPaidOut: bigint;
}

export class OutboundGateway {
  readonly stats: OutboundStats = { paid: 0, free: 0, refused: 0, tokensPaidOut: 0n };
  readonly #now: () => number;

  constructor(private readonly o: OutboundOptions) {
    if (o.dailySpendCap !== undefined && o.spend === undefined)
      throw new Error('OutboundGateway: a dailySpendCap needs its spend log');
    this.#now = o.now ?? Date.now;
  }

  async handle(request: PaymentRequest): Promise<PaymentResponse> {
    const response = await this.#handle(request);
    if (!response.accept) this.stats.refused++;
    return response;
  }

  async #handle(request: PaymentRequest): Promise<PaymentResponse> {
    const data = Buffer.from(request.data, 'base64');
    // Checked before anything is paid: the Fulfill can only be made for the data-derived condition.
    if (computeConditionFromData(data).toString('base64') !== request.executionCondition)
      return reject('F99', 'the condition must be sha256(sha256(data)) (computeConditionFromData)');
    const parsed = parseHttpRequest(data);
    if (!parsed.ok) return reject('F01', `not an HTTP request: ${parsed.message}`);
    const { method, url, headers, body } = parsed.value;
    if (!this.o.allowedHosts.includes(url.host)) return reject('F02', `host ${url.host} is not allowed`);
    const init: RequestInit = {
      method,
      headers: [...headers].filter(([name]) => !DROPPED_HEADERS.has(name)),
      ...(body.length > 0 ? { body } : {}),
    };
    let first: Response;
    try {
      first = await this.#fetch(url, init);
    } catch (error) {
      return reject('T00', `the x402 server did not answer: ${messageOf(error)}`);
    }
    if (first.status !== 402) {
      this.stats.free++;
      return this.#answer(first);
    }
    const requirement = await this.#choose(first);
    if (typeof requirement === 'string') return reject('F99', requirement);
    const price = BigInt(requirement.maxAmountRequired);
    if (price > this.o.maxPrice)
      return reject('F99', `price ${price} is above this gateway's maximum ${this.o.maxPrice}`);
    const needed = price + this.o.feePerRequest;
    const covers = this.#tokenValue(BigInt(request.amount));
    if (covers < needed) {
      const ilpNeeded = this.#ilpAmount(needed);
      return reject(
        'F04',
        `the packet's amount covers ${covers} of ${needed} token base units (price + fee)`,
        JSON.stringify({
          price: price.toString(),
          fee: this.o.feePerRequest.toString(),
          amountRequired: ilpNeeded.toString(),
          network: this.o.network,
          asset: this.o.asset,
        }),
      );
    }
    const reserved = await this.#reserve(price);
    if (typeof reserved === 'string') return reject('T00', reserved);
    if (reserved === false)
      return reject('T04', `the gateway's daily spend cap (${this.o.dailySpendCap}) is reached`);
    let paid: Response;
    try {
      const header = await this.#pay(requirement, price);
      paid = await this.#fetch(url, {
        ...init,
        headers: [...(init.headers as [string, string][]), ['x-payment', header]],
      });
    } catch (error) {
      // The server may still settle an authorization it received: the reservation stays.
      return reject('T00', `the paid request failed: ${messageOf(error)}`);
    }
    if (paid.status === 402) {
      if (reserved !== true)
        await this.o.spend
          ?.refund(reserved, price)
          .catch((error) =>
            this.o.logger.warn({ err: error }, 'could not record a refused payment in the spend log'),
          );
      return reject('F99', `the x402 server refused the payment: ${await errorOf(paid)}`);
    }
    this.stats.paid++;
    this.stats.tokensPaidOut += price;
    this.o.onPaid?.(`${url.origin}${url.pathname}`, price, requirement.payTo, settlementTx(paid));
    return this.#answer(paid);
  }

  /**
   * Counts `price` against today's cap, on disk before anything is signed: true without a cap,
   * the UTC day it was counted on, false when it would exceed the cap, a message when the spend
   * log cannot be written.
   */
  async #reserve(price: bigint): Promise<boolean | number | string> {
    const cap = this.o.dailySpendCap;
    const spend = this.o.spend;
    if (cap === undefined || spend === undefined) return true;
    const reserved = spend.reserve(price, cap, this.#now());
    if (!reserved.accepted) return false;
    try {
      await reserved.durable;
      return reserved.day;
    } catch (error) {
      return `nothing paid: ${messageOf(error)}`;
    }
  }

  async #answer(res: Response): Promise<PaymentResponse> {
    const body = new Uint8Array(await res.arrayBuffer());
    const headers = RETURNED_HEADERS.flatMap((name) => {
      const value = res.headers.get(name);
      return value === null ? [] : [[name, value] as const];
    });
    const data = encodeHttpResponse(res.status, res.statusText, headers, body);
    if (data.length > MAX_ILP_DATA_BYTES)
      return reject(
        'F99',
        `the response (${data.length} bytes) does not fit in ILP data (${MAX_ILP_DATA_BYTES})`,
      );
    return { accept: true, data: Buffer.from(data).toString('base64') };
  }

  async #choose(res: Response): Promise<Requirement | string> {
    let body: { accepts?: unknown };
    try {
      body = (await res.json()) as { accepts?: unknown };
    } catch {
      return 'the x402 server answered 402 without a JSON body';
    }
    const accepts = Array.isArray(body?.accepts) ? (body.accepts as Requirement[]) : [];
    const usable = accepts.find(
      (r) =>
        r?.scheme === EXACT_SCHEME &&
        r.network === this.o.network &&
        typeof r.asset === 'string' &&
        r.asset.toLowerCase() === this.o.asset.toLowerCase() &&
        /^[0-9]{1,18}$/.test(String(r.maxAmountRequired)) &&
        /^0x[0-9a-fA-F]{40}$/.test(String(r.payTo)) &&
        typeof r.extra?.name === 'string' &&
        typeof r.extra.version === 'string',
    );
    return usable ?? `no payment option this gateway can pay (exact, ${this.o.network}, ${this.o.asset})`;
  }

  async #pay(r: Requirement, price: bigint): Promise<string> {
    const now = BigInt(Math.floor(this.#now() / 1000));
    const authorization = {
      from: this.o.signer.address,
      to: getAddress(r.payTo),
      value: price,
      validAfter: now - 600n,
      validBefore: now + BigInt(Math.max(1, Math.min(r.maxTimeoutSeconds || 60, 3600))),
      nonce: toHex(randomBytes(32)) as Hex,
    };
    const signature = await this.o.signer.signTypedData({
      domain: {
        name: r.extra!.name as string,
        version: r.extra!.version as string,
        chainId: this.o.chainId,
        verifyingContract: this.o.asset,
      },
      types: TRANSFER_WITH_AUTHORIZATION_TYPES,
      primaryType: 'TransferWithAuthorization',
      message: authorization,
    });
    const payload = {
      x402Version: X402_VERSION,
      scheme: EXACT_SCHEME,
      network: this.o.network,
      payload: {
        signature,
        authorization: Object.fromEntries(
          Object.entries(authorization).map(([k, v]) => [k, typeof v === 'bigint' ? v.toString() : v]),
        ),
      },
    };
    return Buffer.from(JSON.stringify(payload)).toString('base64');
  }

  #fetch(url: URL, init: RequestInit): Promise<Response> {
    return fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(this.o.requestTimeoutMs) });
  }

  /** Token base units an ILP amount is worth (rounded down: the gateway never pays more than it got). */
  #tokenValue(ilp: bigint): bigint {
    const { decimals, assetScale } = this.o;
    return decimals >= assetScale
      ? ilp * 10n ** BigInt(decimals - assetScale)
      : ilp / 10n ** BigInt(assetScale - decimals);
  }

  /** The ILP amount that covers `token` base units (rounded up). */
  #ilpAmount(token: bigint): bigint {
    const { decimals, assetScale } = this.o;
    const exact = scaleExactly(token, decimals, assetScale);
    if (exact !== undefined) return exact;
    return token / 10n ** BigInt(decimals - assetScale) + 1n;
  }
}

/** The transaction named in the server's X-PAYMENT-RESPONSE, if it sent a readable one. */
function settlementTx(res: Response): string | undefined {
  const header = res.headers.get('x-payment-response');
  if (header === null) return undefined;
  try {
    const tx = (JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as { transaction?: unknown })
      .transaction;
    return typeof tx === 'string' && /^0x[0-9a-fA-F]{64}$/.test(tx) ? tx : undefined;
  } catch {
    return undefined;
  }
}

async function errorOf(res: Response): Promise<string> {
  try {
    const body = (await res.json()) as { error?: unknown };
    return String(body.error ?? res.status);
  } catch {
    return String(res.status);
  }
}
