/**
 * The closed loop: exactly `slots` requests in flight over one or more authenticated sockets
 * (slot i uses socket i mod sockets); each reply sends the slot's next request at once. The
 * requestId encodes the slot (slot + slots * k), so matching a reply is one modulo and one compare.
 * Latency is send -> reply on the sender's clock, into a preallocated histogram.
 */
import { performance } from 'node:perf_hooks';
import type { RawData, WebSocket } from 'ws';
import { BTP_TYPE, encodeBtpPacket } from '../../src/codec/index.js';
import type { LoadResult } from '../harness/messages.js';
import { batchWrites } from './dial.js';
import {
  ILP_TYPE_FULFILL,
  ILP_TYPE_REJECT,
  ilpOffset,
  type PrepareTemplate,
  REQUEST_ID_OFFSET,
  rejectCode,
} from './frames.js';
import { LatencyHistogram } from './histogram.js';

const MAX_REQUEST_ID = 0xffff_ffff;
const FIRST_FAILURES = 5;
const DRAIN_MS = 5000;
const REFRESH_MS = 1000;

export interface WindowHooks {
  onMeasureStart(): void;
  onMeasureEnd(): void;
}

export class ClosedLoop {
  private readonly sentAt: Float64Array;
  private readonly requestIds: Uint32Array;
  private readonly pending: Uint8Array;
  private readonly corks: Array<() => void>;
  private readonly histogram = new LatencyHistogram();
  private running = false;
  private measuring = false;
  private outstanding = 0;
  private drained: (() => void) | undefined;
  private fulfilled = 0;
  private rejected = 0;
  private errors = 0;
  private unmeasuredFailures = 0;
  private readonly firstFailures: string[] = [];

  constructor(
    private readonly sockets: readonly WebSocket[],
    private readonly slots: number,
    private readonly template: PrepareTemplate,
    batch = true,
  ) {
    this.sentAt = new Float64Array(slots);
    this.requestIds = new Uint32Array(slots);
    this.pending = new Uint8Array(slots);
    for (let i = 0; i < slots; i++) this.requestIds[i] = i;
    this.corks = sockets.map((ws) => (batch ? batchWrites(ws) : () => {}));
    sockets.forEach((ws) => {
      ws.on('message', (data: RawData) => this.onReply(ws, data as Buffer));
    });
  }

  /** Warm-up, then the measured window; resolves once every request in flight is answered. */
  async run(warmupMs: number, measureMs: number, hooks: WindowHooks): Promise<LoadResult> {
    const refresh = setInterval(() => this.template.refresh(), REFRESH_MS);
    this.running = true;
    for (let slot = 0; slot < this.slots; slot++) this.send(slot);
    await delay(warmupMs);
    this.histogram.reset();
    this.fulfilled = this.rejected = this.errors = 0;
    this.measuring = true;
    const startedAt = performance.now();
    hooks.onMeasureStart();
    await delay(measureMs);
    this.measuring = false;
    const measuredMs = performance.now() - startedAt;
    hooks.onMeasureEnd();
    this.running = false;
    clearInterval(refresh);
    await this.drain();
    const h = this.histogram;
    return {
      fulfilled: this.fulfilled,
      rejected: this.rejected,
      errors: this.errors,
      unmeasuredFailures: this.unmeasuredFailures,
      measuredMs,
      packetsPerSec: (this.fulfilled * 1000) / measuredMs,
      p50Ms: h.quantileUs(0.5) / 1000,
      p99Ms: h.quantileUs(0.99) / 1000,
      maxMs: h.maxUs / 1000,
      firstFailures: this.firstFailures,
    };
  }

  private send(slot: number): void {
    const index = slot % this.sockets.length;
    const ws = this.sockets[index]!;
    this.corks[index]!();
    this.pending[slot] = 1;
    this.outstanding++;
    this.sentAt[slot] = performance.now();
    ws.send(this.template.next(this.requestIds[slot]!));
  }

  private onReply(ws: WebSocket, data: Buffer): void {
    const type = data[0];
    const requestId = data.readUInt32BE(REQUEST_ID_OFFSET);
    if (type === BTP_TYPE.message) {
      this.refuse(ws, requestId);
      return;
    }
    const slot = requestId % this.slots;
    if (this.pending[slot] !== 1 || this.requestIds[slot] !== requestId) return;
    const latencyUs = (performance.now() - this.sentAt[slot]!) * 1000;
    this.pending[slot] = 0;
    this.outstanding--;
    this.classify(type, data, latencyUs);
    if (this.running) {
      const next = requestId + this.slots;
      this.requestIds[slot] = next > MAX_REQUEST_ID ? slot : next;
      this.send(slot);
    } else if (this.outstanding === 0) {
      this.drained?.();
    }
  }

  private classify(type: number | undefined, data: Buffer, latencyUs: number): void {
    const at = type === BTP_TYPE.response ? ilpOffset(data) : -1;
    const ilpType = at >= 0 ? data[at] : undefined;
    if (ilpType === ILP_TYPE_FULFILL && this.measuring) {
      this.fulfilled++;
      this.histogram.record(latencyUs);
      return;
    }
    if (ilpType === ILP_TYPE_FULFILL) return;
    if (!this.measuring) this.unmeasuredFailures++;
    else if (ilpType === ILP_TYPE_REJECT) this.rejected++;
    else this.errors++;
    if (this.firstFailures.length < FIRST_FAILURES) {
      const what = ilpType === ILP_TYPE_REJECT ? rejectCode(data, at) : `BTP type ${type}`;
      this.firstFailures.push(this.measuring ? what : `${what} (outside the window)`);
    }
  }

  /** The node sent us a request (a sender has nothing to offer): a BTP Error F00. */
  private refuse(ws: WebSocket, requestId: number): void {
    const error = encodeBtpPacket({
      type: BTP_TYPE.error,
      requestId,
      code: 'F00',
      name: 'NotAcceptedError',
      triggeredAt: new Date(),
      data: 'the bench sender accepts no requests',
      protocolData: [],
    });
    ws.send(error);
  }

  private drain(): Promise<void> {
    if (this.outstanding === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, DRAIN_MS);
      this.drained = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
