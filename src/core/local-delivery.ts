/**
 * Delivery of packets addressed to this node to the registered handler (embedded: a function;
 * standalone: an HTTP client with the same shape), and per-hop transit notifications.
 */
import type { IlpReject } from '../codec/index.js';
import type { LocalDeliveryHandler, LocalDeliveryRequest, LocalDeliveryResponse } from '../types/index.js';
import type { Logger } from '../utils/logger.js';
import type { PacketContext, Reply } from './context.js';
import { fulfills } from './fulfillment.js';
import { reject } from './reject.js';

export interface LocalDeliveryOptions {
  address: () => string;
  logger: Logger;
  /** Bound on concurrent transit notifications; beyond it they are dropped (and counted). */
  maxTransitInFlight: number;
  /** A handler is never waited on longer than a packet may be held. */
  maxHoldTimeMs: number;
  /** Time left to the sender to pass our answer on before its own deadline. */
  minMessageWindowMs: number;
  /** Told of each transit notification sent (the Explorer's events). */
  onTransit?: ((ctx: PacketContext) => void) | undefined;
}

export class LocalDelivery {
  private handler: LocalDeliveryHandler | undefined;
  /** A part of the node serving `<own address>.<segment>` (the gateway's `x402`), before the handler. */
  private service:
    | {
        segment: string;
        handler: LocalDeliveryHandler;
        account: string | undefined;
        address: string;
        prefix: string;
      }
    | undefined;
  private transitInFlight = 0;
  transitDropped = 0;

  constructor(private readonly options: LocalDeliveryOptions) {}

  setHandler(handler: LocalDeliveryHandler | undefined): void {
    this.handler = handler;
  }

  /**
   * Packets to `<own address>.<segment>` (and under it) go to `handler` instead of the user's,
   * booked to `account` (the gateway's `x402:<network>`) instead of the node's own.
   */
  setService(segment: string, handler: LocalDeliveryHandler | undefined, account?: string): void {
    this.service = handler === undefined ? undefined : { segment, handler, account, address: '', prefix: '' };
  }

  accountOf(destination: string): string | undefined {
    const service = this.service;
    if (service?.account === undefined) return undefined;
    return this.isService(service, destination, this.options.address()) ? service.account : undefined;
  }

  hasHandler(): boolean {
    return this.handler !== undefined;
  }

  private handlerFor(destination: string, address: string): LocalDeliveryHandler | undefined {
    const service = this.service;
    if (service === undefined) return this.handler;
    return this.isService(service, destination, address) ? service.handler : this.handler;
  }

  private isService(
    service: NonNullable<LocalDelivery['service']>,
    destination: string,
    address: string,
  ): boolean {
    // The prefix follows the own address (IL-DCP may change it): built once per address, not per packet.
    if (service.address !== address) {
      service.address = address;
      service.prefix = `${address}.${service.segment}`;
    }
    const prefix = service.prefix;
    return (
      destination.startsWith(prefix) &&
      (destination.length === prefix.length || destination.charCodeAt(prefix.length) === 46) // '.'
    );
  }

  async deliver(ctx: PacketContext): Promise<Reply> {
    const address = this.options.address();
    const handler = this.handlerFor(ctx.prepare.destination, address);
    if (handler === undefined) return reject('F02', 'no local handler is registered at this node', address);
    const sourcePeer = ctx.source?.id ?? 'self';
    let response: LocalDeliveryResponse;
    try {
      // Answer while the sender's own timer has not fired yet: one window before the expiry.
      const window = ctx.source === undefined ? 0 : this.options.minMessageWindowMs;
      const deadlineMs = Math.min(
        ctx.prepare.expiresAt.getTime() - window,
        ctx.receivedAtMs + this.options.maxHoldTimeMs,
      );
      response = await withDeadline(handler(toRequest(ctx, sourcePeer), sourcePeer), deadlineMs - Date.now());
    } catch (err) {
      if (err === DEADLINE)
        return reject('R00', 'local handler did not answer before the packet expired', address);
      this.options.logger.error({ err }, 'local delivery handler threw');
      return reject('T00', 'internal error in the local handler', address);
    }
    return toReply(response, ctx, address);
  }

  notifyTransit(ctx: PacketContext): void {
    const handler = this.handler;
    if (handler === undefined) return;
    if (this.transitInFlight >= this.options.maxTransitInFlight) {
      this.transitDropped++;
      return;
    }
    this.transitInFlight++;
    this.options.onTransit?.(ctx);
    const sourcePeer = ctx.source?.id ?? 'self';
    const request = { ...toRequest(ctx, sourcePeer), isTransit: true };
    // Fire and forget: the answer is ignored and never delays forwarding.
    Promise.resolve()
      .then(() => handler(request, sourcePeer))
      .catch((err: unknown) => this.options.logger.debug({ err }, 'transit notification failed'))
      .finally(() => {
        this.transitInFlight--;
      });
  }
}

export function toRequest(ctx: PacketContext, sourcePeer: string): LocalDeliveryRequest {
  const p = ctx.prepare;
  return {
    destination: p.destination,
    amount: p.amount.toString(),
    executionCondition: b64(p.executionCondition),
    expiresAt: p.expiresAt.toISOString(),
    data: b64(p.data),
    sourcePeer,
  };
}

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64');
}

function fromB64(text: string | undefined, what: string): Uint8Array {
  if (text === undefined || text === '') return new Uint8Array(0);
  const bytes = Buffer.from(text, 'base64');
  if (bytes.toString('base64') !== text) throw new Error(`${what} is not canonical base64`);
  return bytes;
}

function toReply(res: LocalDeliveryResponse, ctx: PacketContext, address: string): Reply {
  try {
    if (res?.fulfill) {
      const fulfillment = fromB64(res.fulfill.fulfillment, 'fulfillment');
      if (fulfillment.length !== 32)
        return reject('F99', 'local handler returned a fulfillment that is not 32 bytes', address);
      if (!fulfills(fulfillment, ctx.prepare.executionCondition)) {
        return reject('F05', 'fulfillment does not match the execution condition', address);
      }
      return { type: 13, fulfillment, data: checkedData(fromB64(res.fulfill.data, 'fulfill data')) };
    }
    if (res?.reject) {
      const code = /^[\x20-\x7e]{3}$/.test(res.reject.code) ? res.reject.code : 'F99';
      const out: IlpReject = reject(
        code,
        String(res.reject.message ?? ''),
        address,
        checkedData(fromB64(res.reject.data, 'reject data')),
      );
      return out;
    }
  } catch (err) {
    return reject('T00', `local handler answered badly: ${(err as Error).message}`, address);
  }
  return reject('T00', 'local handler answered neither fulfill nor reject', address);
}

function checkedData(data: Uint8Array): Uint8Array {
  if (data.length > 32767) throw new Error('data exceeds 32767 bytes');
  return data;
}

const DEADLINE = Symbol('deadline');

function withDeadline<T>(value: PromiseLike<T> | T, ms: number): Promise<T> {
  // Any thenable (not only a native Promise) gets the deadline; a plain value is ready now.
  if (typeof (value as { then?: unknown } | null)?.then !== 'function') return Promise.resolve(value as T);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, rejectPromise) => {
    timer = setTimeout(() => rejectPromise(DEADLINE), Math.max(0, ms));
  });
  return Promise.race([value, deadline]).finally(() => clearTimeout(timer));
}
