/**
 * A closed loop that sends an exact number of Prepares, at most `inFlight` at a time, over one
 * authenticated socket, and resolves when every one is answered: what the allocation bench needs
 * to divide a node's allocations by a packet count. Latency is not measured (closed-loop.ts does).
 */
import type { RawData, WebSocket } from 'ws';
import { batchWrites } from './dial.js';
import { ILP_TYPE_FULFILL, ilpOffset, type PrepareTemplate, REQUEST_ID_OFFSET } from './frames.js';

const REFRESH_MS = 1000;
const MAX_REQUEST_ID = 0xffff_ffff;

export interface CountedResult {
  fulfilled: number;
  failed: number;
  elapsedMs: number;
}

export class CountedLoop {
  private readonly cork: () => void;
  private nextId = 1;
  private toSend = 0;
  private outstanding = 0;
  private fulfilled = 0;
  private failed = 0;
  private done: (() => void) | undefined;

  constructor(
    private readonly ws: WebSocket,
    private readonly inFlight: number,
    private readonly template: PrepareTemplate,
  ) {
    this.cork = batchWrites(ws);
    ws.on('message', (data: RawData) => this.onReply(data as Buffer));
  }

  /** Sends `count` Prepares; one run at a time. */
  async run(count: number): Promise<CountedResult> {
    const startedAt = performance.now();
    const refresh = setInterval(() => this.template.refresh(), REFRESH_MS);
    this.fulfilled = this.failed = 0;
    this.toSend = count;
    const finished = new Promise<void>((resolve) => {
      this.done = resolve;
    });
    for (let i = 0; i < this.inFlight && this.toSend > 0; i++) this.send();
    if (this.outstanding > 0) await finished;
    clearInterval(refresh);
    return { fulfilled: this.fulfilled, failed: this.failed, elapsedMs: performance.now() - startedAt };
  }

  private send(): void {
    this.toSend--;
    this.outstanding++;
    this.cork();
    this.ws.send(this.template.next(this.nextId));
    this.nextId = this.nextId === MAX_REQUEST_ID ? 1 : this.nextId + 1;
  }

  private onReply(data: Buffer): void {
    if (data.length <= REQUEST_ID_OFFSET || this.outstanding === 0) return;
    const at = ilpOffset(data);
    if (at >= 0 && data[at] === ILP_TYPE_FULFILL) this.fulfilled++;
    else this.failed++;
    this.outstanding--;
    if (this.toSend > 0) this.send();
    else if (this.outstanding === 0) this.done?.();
  }
}
