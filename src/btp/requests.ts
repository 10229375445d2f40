/**
 * Correlation of our outgoing requests on one socket (RFC 23 requestId): ids start at a random
 * UInt32 and increment with wrap-around, skipping ids still in flight; each request has a timer.
 */
import { randomInt } from 'node:crypto';
import { BTP_TYPE, type BtpError, type BtpResponse, type ProtocolData } from '../codec/btp.js';
import { ConnectorError } from '../utils/errors.js';
import type { Logger } from '../utils/logger.js';
import { BtpRemoteError } from './remote-error.js';

const UINT32_RANGE = 0x1_0000_0000;

/** Called exactly once per request, possibly synchronously. */
export type AnswerCallback = (err: Error | undefined, protocolData: ProtocolData[] | undefined) => void;

interface Pending {
  timer: NodeJS.Timeout;
  onAnswer: AnswerCallback;
}

export class PendingRequests {
  /** Who the requests go to, for error messages. */
  peer: string;
  private readonly pending = new Map<number, Pending>();
  private nextId: number;

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

  /** Reserves a requestId and arms its timer (unref'd: the socket, not the timer, keeps a process alive). */
  add(timeoutMs: number, onAnswer: AnswerCallback): number {
    let id = this.nextId;
    while (this.pending.has(id)) id = (id + 1) % UINT32_RANGE;
    this.nextId = (id + 1) % UINT32_RANGE;
    const timer = setTimeout(expire, timeoutMs, this, id, timeoutMs);
    timer.unref();
    this.pending.set(id, { timer, onAnswer });
    return id;
  }

  /** Forgets a request that could not be sent; its callback is not called. */
  drop(requestId: number): void {
    const entry = this.pending.get(requestId);
    if (entry === undefined) return;
    clearTimeout(entry.timer);
    this.pending.delete(requestId);
  }

  /** Delivers a Response or Error; false when no request of ours has its id. */
  settle(packet: BtpResponse | BtpError): boolean {
    const entry = this.pending.get(packet.requestId);
    if (entry === undefined) return false;
    this.pending.delete(packet.requestId);
    clearTimeout(entry.timer);
    if (packet.type === BTP_TYPE.response) this.deliver(entry, undefined, packet.protocolData);
    else this.deliver(entry, BtpRemoteError.fromPacket(packet), undefined);
    return true;
  }

  expire(requestId: number, timeoutMs: number): void {
    const entry = this.pending.get(requestId);
    if (entry === undefined) return;
    this.pending.delete(requestId);
    const err = new ConnectorError(
      'ERR_BTP_TIMEOUT',
      `BTP request to ${this.peer} timed out after ${timeoutMs} ms`,
    );
    this.deliver(entry, err, undefined);
  }

  /** Rejects everything in flight with ERR_BTP_CLOSED. */
  closeAll(): void {
    if (this.pending.size === 0) return;
    const err = new ConnectorError('ERR_BTP_CLOSED', `BTP socket to ${this.peer} closed`);
    const entries = [...this.pending.values()];
    this.pending.clear();
    for (const entry of entries) {
      clearTimeout(entry.timer);
      this.deliver(entry, err, undefined);
    }
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

function expire(requests: PendingRequests, requestId: number, timeoutMs: number): void {
  requests.expire(requestId, timeoutMs);
}
