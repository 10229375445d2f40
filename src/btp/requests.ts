/**
 * Correlation of our outgoing requests on one socket (RFC 23 requestId): ids start at a random
 * UInt32 and increment with wrap-around, skipping ids still in flight.
 *
 * Timeouts: one sweep every SWEEP_INTERVAL_MS while anything is in flight, instead of a timer
 * per request. A timer per packet was an allocation and two timer-list updates on the hot path;
 * the sweep costs one pass over the in-flight map (bounded by maxInFlightPerLink) per interval,
 * and a request may time out up to one interval late.
 */
import { randomInt } from 'node:crypto';
import { BTP_TYPE, type BtpError, type BtpResponse, type ProtocolData } from '../codec/btp.js';
import { ConnectorError } from '../utils/errors.js';
import type { Logger } from '../utils/logger.js';
import { BtpRemoteError } from './remote-error.js';

const UINT32_RANGE = 0x1_0000_0000;

/** Called exactly once per request, possibly synchronously. */
export type AnswerCallback = (err: Error | undefined, protocolData: ProtocolData[] | undefined) => void;

export const SWEEP_INTERVAL_MS = 10;

interface Pending {
  deadlineMs: number;
  timeoutMs: number;
  onAnswer: AnswerCallback;
}

export class PendingRequests {
  /** Who the requests go to, for error messages. */
  peer: string;
  private readonly pending = new Map<number, Pending>();
  private nextId: number;
  private sweeper: NodeJS.Timeout | undefined;

  /** `firstId` is injectable for tests; by default a random UInt32. */
  constructor(
    peer: string,
    private readonly log: Logger,
    firstId: number = randomInt(0, UINT32_RANGE),
  ) {
    this.peer = peer;
    this.nextId = firstId;
  }

  get size(): number {
    return this.pending.size;
  }

  /** Reserves a requestId with a deadline (the sweep is unref'd: the socket keeps a process alive). */
  add(timeoutMs: number, onAnswer: AnswerCallback): number {
    let id = this.nextId;
    while (this.pending.has(id)) id = (id + 1) % UINT32_RANGE;
    this.nextId = (id + 1) % UINT32_RANGE;
    this.pending.set(id, { deadlineMs: performance.now() + timeoutMs, timeoutMs, onAnswer });
    if (this.sweeper === undefined) {
      this.sweeper = setInterval(sweep, SWEEP_INTERVAL_MS, this);
      this.sweeper.unref();
    }
    return id;
  }

  /** Forgets a request that could not be sent; its callback is not called. */
  drop(requestId: number): void {
    this.pending.delete(requestId);
    this.idleCheck();
  }

  /** Delivers a Response or Error; false when no request of ours has its id. */
  settle(packet: BtpResponse | BtpError): boolean {
    const entry = this.pending.get(packet.requestId);
    if (entry === undefined) return false;
    this.pending.delete(packet.requestId);
    if (packet.type === BTP_TYPE.response) this.deliver(entry, undefined, packet.protocolData);
    else this.deliver(entry, BtpRemoteError.fromPacket(packet), undefined);
    return true;
  }

  /** Times out every request whose deadline has passed; stops sweeping when nothing is left. */
  sweep(nowMs = performance.now()): void {
    for (const [id, entry] of this.pending) {
      if (entry.deadlineMs > nowMs) continue;
      this.pending.delete(id);
      const err = new ConnectorError(
        'ERR_BTP_TIMEOUT',
        `BTP request to ${this.peer} timed out after ${entry.timeoutMs} ms`,
      );
      this.deliver(entry, err, undefined);
    }
    this.idleCheck();
  }

  private idleCheck(): void {
    if (this.pending.size === 0 && this.sweeper !== undefined) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  /** Rejects everything in flight with ERR_BTP_CLOSED. */
  closeAll(): void {
    if (this.pending.size === 0) return;
    const err = new ConnectorError('ERR_BTP_CLOSED', `BTP socket to ${this.peer} closed`);
    const entries = [...this.pending.values()];
    this.pending.clear();
    this.idleCheck();
    for (const entry of entries) this.deliver(entry, err, undefined);
  }

  /** A throwing callback is a bug of the caller; it must not break the socket or reach the event loop. */
  private deliver(entry: Pending, err: Error | undefined, protocolData: ProtocolData[] | undefined): void {
    try {
      entry.onAnswer(err, protocolData);
    } catch (bug) {
      this.log.error({ peer: this.peer, err: bug }, 'BTP answer callback threw');
    }
  }
}

function sweep(requests: PendingRequests): void {
  requests.sweep();
}
