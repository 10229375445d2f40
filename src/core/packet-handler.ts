/**
 * The entry of the packet path: bytes from a link (or a Prepare from sendPacket) in, reply
 * bytes out. Never throws and never leaves a request unanswered: undecodable input is F01,
 * a bug in a stage is T00, and a node shutting down answers T03.
 */
import {
  decodePrepare,
  encodeIlpPacket,
  encodeReject,
  type IlpPrepare,
  REJECT_CODES,
} from '../codec/index.js';
import type { PacketCounts } from '../http/index.js';
import type { Logger } from '../utils/logger.js';
import type { Next, PacketContext, Reply } from './context.js';
import type { PeerState } from './peers.js';
import { reject } from './reject.js';

/** Where the packet path reports what it did (plain counters; see http/metrics.ts). */
export interface PacketRecorder {
  /** Counts of packets this node originated (sendPacket, the admin API). */
  readonly own: PacketCounts;
  observeLatency(seconds: number): void;
  /** Each packet's outcome, for the Explorer's recorder (only writes into a ring). */
  outcome?: ((ctx: PacketContext, reply: Reply, latencyMs: number) => void) | undefined;
}

/** Codes counted by name; any other (a peer may send any F/T/R code) is counted as 'other'. */
const KNOWN_CODES: ReadonlySet<string> = new Set(Object.values(REJECT_CODES));

export class PacketHandler {
  private inFlight = 0;
  private drained: (() => void) | undefined;
  private accepting = true;

  constructor(
    private readonly pipeline: Next,
    private readonly address: () => string,
    private readonly logger: Logger,
    private readonly recorder: PacketRecorder | undefined = undefined,
    private readonly now: () => number = Date.now,
  ) {}

  /** A Prepare's bytes from peer `source`; resolves with the reply's bytes. */
  handleBytes(source: PeerState, bytes: Uint8Array): Promise<Uint8Array> {
    let prepare: IlpPrepare;
    try {
      prepare = decodePrepare(bytes);
    } catch (err) {
      const invalid = reject('F01', `invalid packet: ${(err as Error).message}`, this.address());
      if (this.recorder !== undefined) countIncoming(source.counts, invalid);
      return Promise.resolve(encodeReject(invalid));
    }
    return this.handle(source, bytes, prepare).then(this.replyBytes);
  }

  /** Bound once: a continuation per packet without a closure per packet. */
  private readonly replyBytes = (reply: Reply): Uint8Array => {
    if (reply.raw !== undefined) return reply.raw;
    try {
      return encodeIlpPacket(reply);
    } catch (err) {
      this.logger.error({ err }, 'reply could not be encoded');
      return encodeReject(reject('T00', 'internal error: reply could not be encoded', this.address()));
    }
  };

  /**
   * Runs the pipeline for a decoded Prepare; `source` undefined = originated by this node.
   * A promise chain rather than an async function: one continuation per packet.
   */
  handle(
    source: PeerState | undefined,
    raw: Uint8Array,
    prepare: IlpPrepare,
    originAccount?: string,
  ): Promise<Reply> {
    if (!this.accepting) {
      const busy = reject('T03', 'connector is shutting down', this.address());
      if (this.recorder !== undefined) countIncoming(source?.counts ?? this.recorder.own, busy);
      return Promise.resolve(busy);
    }
    const ctx: PacketContext = {
      source,
      raw,
      prepare,
      receivedAtMs: this.now(),
      originAccount,
      nextHop: undefined,
      local: false,
      outgoingAmount: prepare.amount,
      outgoingExpiryMs: 0,
      unanswered: false,
    };
    this.inFlight++;
    const startedAt = performance.now();
    let result: Promise<Reply> | Reply;
    try {
      result = this.pipeline(ctx);
    } catch (err) {
      return Promise.resolve(this.finish(ctx, this.failed(ctx, err), startedAt));
    }
    if (!(result instanceof Promise)) return Promise.resolve(this.finish(ctx, result, startedAt));
    return result.then(
      (reply) => this.finish(ctx, reply, startedAt),
      (err: unknown) => this.finish(ctx, this.failed(ctx, err), startedAt),
    );
  }

  private failed(ctx: PacketContext, err: unknown): Reply {
    this.logger.error({ err, destination: ctx.prepare.destination }, 'packet pipeline failed');
    return reject('T00', 'internal error', this.address());
  }

  private finish(ctx: PacketContext, reply: Reply, startedAt: number): Reply {
    if (--this.inFlight === 0 && this.drained !== undefined) this.drained();
    if (this.recorder !== undefined) this.record(ctx, reply, startedAt);
    return reply;
  }

  private record(ctx: PacketContext, reply: Reply, startedAt: number): void {
    const recorder = this.recorder!;
    const latencyMs = performance.now() - startedAt;
    recorder.observeLatency(latencyMs / 1000);
    recorder.outcome?.(ctx, reply, latencyMs);
    countIncoming(ctx.source === undefined ? recorder.own : ctx.source.counts, reply);
    // A reply with raw bytes came back from the next hop.
    const next = ctx.nextHop;
    if (next === undefined || reply.raw === undefined) return;
    next.counts.prepareOut++;
    if (reply.type === 13) next.counts.fulfillOut++;
    else next.counts.rejectOut++;
  }

  get packetsInFlight(): number {
    return this.inFlight;
  }

  /** Stops accepting and resolves when every packet in flight has been answered (or at the bound). */
  async drain(maxWaitMs: number): Promise<boolean> {
    this.accepting = false;
    if (this.inFlight === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const done = await Promise.race([
      new Promise<boolean>((resolve) => {
        this.drained = () => resolve(true);
      }),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), maxWaitMs);
      }),
    ]);
    clearTimeout(timer);
    this.drained = undefined;
    return done;
  }
}

function countIncoming(counts: PacketCounts, reply: Reply): void {
  counts.prepareIn++;
  if (reply.type === 13) {
    counts.fulfillIn++;
    return;
  }
  counts.rejectIn++;
  const code = KNOWN_CODES.has(reply.code) ? reply.code : 'other';
  counts.rejectCodes.set(code, (counts.rejectCodes.get(code) ?? 0) + 1);
}
