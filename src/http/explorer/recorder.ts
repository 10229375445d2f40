/**
 * The Explorer's side of the packet path: every packet's outcome is counted (per-second
 * buckets for /api/stats: outcomes, reject codes, a latency histogram) and up to
 * `maxPacketEventsPerSecond` of them are kept as events, spread evenly over the second when
 * there are more (1 in k, k from the last second's rate). The packet path only writes fields of
 * preallocated ring slots (copies, no references to the packet) and bumps counters: no
 * allocation, no JSON, no I/O. A separate step
 * (explorer.ts) drains the ring every few hundred milliseconds.
 */
import type { IlpPrepare, IlpReply } from '../../codec/index.js';
import type { NodeEvent } from '../../types/index.js';

export interface RecorderOptions {
  /** Packets kept as events per second; more are sampled, all are counted. Default 1,000. */
  maxPacketEventsPerSecond?: number;
  /** Packet events held between drains; when full the oldest are overwritten (counted). Default 8,192. */
  ringSize?: number;
  /** Other events held between drains; beyond it they are dropped (counted). Default 10,000. */
  maxOtherEvents?: number;
  now?: () => number;
}

/**
 * One packet as the ring keeps it until the next drain: the fields an event shows, copied. No
 * reference to the packet objects is kept: their buffers are often views into a whole socket
 * read, which a held reference would keep alive (and push into the old generation) until the
 * drain. Condition and fulfillment are copied into the slot's own bytes.
 */
interface PacketSlot {
  ts: number;
  source: string | undefined;
  nextHop: string | undefined;
  local: boolean;
  amount: bigint;
  destination: string;
  expiresAtMs: number;
  condition: Uint8Array;
  fulfilled: boolean;
  fulfillment: Uint8Array;
  code: string;
  message: string;
  triggeredBy: string;
  amountOut: bigint;
  latencyMs: number;
}

/** Seconds of history kept for /api/stats. */
export const STATS_SECONDS = 300;
/** Latency histogram: bucket i holds latencies below LATENCY_BASE_MS * LATENCY_FACTOR^i. */
const LATENCY_BUCKETS = 64;
const LATENCY_BASE_MS = 0.05;
const LATENCY_FACTOR = 1.25;
const LOG_FACTOR = Math.log(LATENCY_FACTOR);

export interface ExplorerStats {
  windowSeconds: number;
  packetsPerSecond: number;
  fulfilled: number;
  rejected: number;
  /** fulfilled / (fulfilled + rejected); null when no packet ended in the window. */
  fulfillRatio: number | null;
  rejectsByCode: Record<string, number>;
  latencyMs: { p50: number | null; p99: number | null };
  /** One point per second, oldest first, for the charts. */
  series: { ts: number; fulfilled: number; rejected: number }[];
}

export class EventRecorder {
  readonly maxPacketEventsPerSecond: number;
  /** Packet outcomes not kept as events because of the rate (still counted in stats). */
  sampledOut = 0;
  /** Events lost because a drain came too late (ring overwritten, other queue full). */
  dropped = 0;
  private readonly now: () => number;
  private readonly ring: PacketSlot[];
  private ringNext = 0;
  private ringCount = 0;
  private readonly other: NodeEvent[] = [];
  private readonly maxOther: number;
  // Sampling within the current second.
  private second = 0;
  private keptThisSecond = 0;
  private seenThisSecond = 0;
  private keepEvery = 1;
  // Per-second stats, STATS_SECONDS buckets indexed by (second % STATS_SECONDS).
  private readonly bucketSecond = new Float64Array(STATS_SECONDS);
  private readonly fulfilledAt = new Uint32Array(STATS_SECONDS);
  private readonly rejectedAt = new Uint32Array(STATS_SECONDS);
  private readonly codesAt: (Map<string, number> | undefined)[] = new Array(STATS_SECONDS);
  private readonly latencyAt = new Uint32Array(STATS_SECONDS * LATENCY_BUCKETS);

  constructor(options: RecorderOptions = {}) {
    this.maxPacketEventsPerSecond = options.maxPacketEventsPerSecond ?? 1000;
    this.now = options.now ?? Date.now;
    this.maxOther = options.maxOtherEvents ?? 10_000;
    const size = options.ringSize ?? 8192;
    this.ring = Array.from({ length: size }, () => ({
      ts: 0,
      source: undefined,
      nextHop: undefined,
      local: false,
      amount: 0n,
      destination: '',
      expiresAtMs: 0,
      condition: new Uint8Array(32),
      fulfilled: false,
      fulfillment: new Uint8Array(32),
      code: '',
      message: '',
      triggeredBy: '',
      amountOut: 0n,
      latencyMs: 0,
    }));
  }

  /** The packet path: one call per packet at its outcome. */
  packet(
    source: string | undefined,
    nextHop: string | undefined,
    local: boolean,
    prepare: IlpPrepare,
    reply: IlpReply,
    amountOut: bigint,
    latencyMs: number,
  ): void {
    const ts = this.now();
    const second = Math.floor(ts / 1000);
    if (second !== this.second) this.nextSecond(second);
    const b = second % STATS_SECONDS;
    if (reply.type === 13) this.fulfilledAt[b]!++;
    else {
      this.rejectedAt[b]!++;
      let codes = this.codesAt[b];
      if (codes === undefined) {
        codes = new Map();
        this.codesAt[b] = codes;
      }
      codes.set(reply.code, (codes.get(reply.code) ?? 0) + 1);
    }
    this.latencyAt[b * LATENCY_BUCKETS + latencyBucket(latencyMs)]!++;
    if (
      this.seenThisSecond++ % this.keepEvery !== 0 ||
      this.keptThisSecond >= this.maxPacketEventsPerSecond
    ) {
      this.sampledOut++;
      return;
    }
    this.keptThisSecond++;
    const slot = this.ring[this.ringNext]!;
    slot.ts = ts;
    slot.source = source;
    slot.nextHop = nextHop;
    slot.local = local;
    slot.amount = prepare.amount;
    slot.destination = prepare.destination;
    slot.expiresAtMs = prepare.expiresAt.getTime();
    copy32(slot.condition, prepare.executionCondition);
    if (reply.type === 13) {
      slot.fulfilled = true;
      copy32(slot.fulfillment, reply.fulfillment);
    } else {
      slot.fulfilled = false;
      slot.code = reply.code;
      slot.message = reply.message;
      slot.triggeredBy = reply.triggeredBy;
    }
    slot.amountOut = amountOut;
    slot.latencyMs = latencyMs;
    this.ringNext = (this.ringNext + 1) % this.ring.length;
    if (this.ringCount === this.ring.length) this.dropped++;
    else this.ringCount++;
  }

  /** Any other event (peers, routes, settlement): rare, kept as given. */
  event(e: Omit<NodeEvent, 'id' | 'ts'> & { ts?: number }): void {
    if (this.other.length >= this.maxOther) {
      this.dropped++;
      return;
    }
    this.other.push({ id: 0, ...e, ts: e.ts ?? this.now() });
  }

  /** A per-hop notification sent (perHopNotification): rare enough to keep as a plain event. */
  transit(source: string | undefined, nextHop: string | undefined, prepare: IlpPrepare): void {
    const event: Omit<NodeEvent, 'id' | 'ts'> = {
      type: 'packet.transit',
      direction: 'incoming',
      packetId: Buffer.from(prepare.executionCondition).toString('hex'),
      amount: prepare.amount.toString(),
      destination: prepare.destination,
      data: { from: source ?? null, to: nextHop ?? null },
    };
    if (source !== undefined) event.peerId = source;
    this.event(event);
  }

  /** Everything recorded since the last drain, oldest first, as events (ids 0 until stored). */
  drain(): NodeEvent[] {
    const events: NodeEvent[] = [];
    const start = (this.ringNext - this.ringCount + this.ring.length) % this.ring.length;
    for (let i = 0; i < this.ringCount; i++) {
      const slot = this.ring[(start + i) % this.ring.length]!;
      events.push(packetEvent(slot));
    }
    this.ringCount = 0;
    if (this.other.length > 0) {
      events.push(...this.other);
      this.other.length = 0;
      events.sort((x, y) => x.ts - y.ts);
    }
    return events;
  }

  /** Rates over the last `windowSeconds` complete and current seconds (1..STATS_SECONDS). */
  stats(windowSeconds: number): ExplorerStats {
    const window = Math.max(1, Math.min(STATS_SECONDS, Math.floor(windowSeconds)));
    const nowSecond = Math.floor(this.now() / 1000);
    let fulfilled = 0;
    let rejected = 0;
    const rejectsByCode: Record<string, number> = {};
    const latency = new Float64Array(LATENCY_BUCKETS);
    const series: ExplorerStats['series'] = [];
    for (let s = nowSecond - window + 1; s <= nowSecond; s++) {
      const b = s % STATS_SECONDS;
      const live = this.bucketSecond[b] === s;
      const f = live ? this.fulfilledAt[b]! : 0;
      const r = live ? this.rejectedAt[b]! : 0;
      series.push({ ts: s * 1000, fulfilled: f, rejected: r });
      if (!live) continue;
      fulfilled += f;
      rejected += r;
      for (const [code, n] of this.codesAt[b] ?? []) rejectsByCode[code] = (rejectsByCode[code] ?? 0) + n;
      for (let i = 0; i < LATENCY_BUCKETS; i++) latency[i]! += this.latencyAt[b * LATENCY_BUCKETS + i]!;
    }
    const total = fulfilled + rejected;
    return {
      windowSeconds: window,
      packetsPerSecond: total / window,
      fulfilled,
      rejected,
      fulfillRatio: total === 0 ? null : fulfilled / total,
      rejectsByCode,
      latencyMs: { p50: percentile(latency, total, 0.5), p99: percentile(latency, total, 0.99) },
      series,
    };
  }

  /** A new second: its bucket is cleared, and the sampling step follows the last second's rate. */
  private nextSecond(second: number): void {
    const seen = second === this.second + 1 ? this.seenThisSecond : 0;
    this.keepEvery = Math.max(1, Math.ceil(seen / this.maxPacketEventsPerSecond));
    this.second = second;
    this.seenThisSecond = 0;
    this.keptThisSecond = 0;
    const b = second % STATS_SECONDS;
    if (this.bucketSecond[b] === second) return;
    this.bucketSecond[b] = second;
    this.fulfilledAt[b] = 0;
    this.rejectedAt[b] = 0;
    this.codesAt[b] = undefined;
    this.latencyAt.fill(0, b * LATENCY_BUCKETS, (b + 1) * LATENCY_BUCKETS);
  }
}

/** ILP's conditions and fulfillments are 32 bytes; anything else is shown cut or zero-padded, never thrown. */
function copy32(into: Uint8Array, from: Uint8Array): void {
  if (from.length === 32) into.set(from);
  else {
    into.fill(0);
    into.set(from.length > 32 ? from.subarray(0, 32) : from);
  }
}

function latencyBucket(ms: number): number {
  if (!(ms > LATENCY_BASE_MS)) return 0;
  return Math.min(LATENCY_BUCKETS - 1, Math.ceil(Math.log(ms / LATENCY_BASE_MS) / LOG_FACTOR));
}

/** The upper bound of the bucket holding the q-th latency: within 25% of the true value. */
function percentile(histogram: Float64Array, total: number, q: number): number | null {
  if (total === 0) return null;
  const rank = Math.ceil(q * total);
  let seen = 0;
  for (let i = 0; i < LATENCY_BUCKETS; i++) {
    seen += histogram[i]!;
    if (seen >= rank) return round3(LATENCY_BASE_MS * LATENCY_FACTOR ** i);
  }
  return round3(LATENCY_BASE_MS * LATENCY_FACTOR ** (LATENCY_BUCKETS - 1));
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

function packetEvent(slot: PacketSlot): NodeEvent {
  const incoming = slot.source !== undefined;
  const event: NodeEvent = {
    id: 0,
    ts: slot.ts,
    type: slot.fulfilled ? 'packet.fulfilled' : 'packet.rejected',
    direction: incoming ? 'incoming' : 'outgoing',
    packetId: Buffer.from(slot.condition.buffer, slot.condition.byteOffset, 32).toString('hex'),
    amount: slot.amount.toString(),
    destination: slot.destination,
    latencyMs: round3(slot.latencyMs),
  };
  const peer = slot.source ?? slot.nextHop;
  if (peer !== undefined) event.peerId = peer;
  const data: NonNullable<NodeEvent['data']> = {
    from: slot.source ?? null,
    to: slot.local ? 'local' : (slot.nextHop ?? null),
    // Nothing went out of a packet that was neither forwarded nor delivered (no route, say).
    amountOut: slot.local || slot.nextHop !== undefined ? slot.amountOut.toString() : '0',
    expiresAt: slot.expiresAtMs,
  };
  if (slot.fulfilled)
    data.fulfillment = Buffer.from(slot.fulfillment.buffer, slot.fulfillment.byteOffset, 32).toString('hex');
  else {
    event.code = slot.code;
    data.message = slot.message;
    data.triggeredBy = slot.triggeredBy;
  }
  event.data = data;
  return event;
}
