/**
 * Prometheus metrics (DESIGN §8), served as `/metrics` on the health port.
 *
 * The packet path only adds to plain numbers (PacketCounts) and observes one label-free
 * histogram (prom-client's observe: ~0.2 us and one small object): no label hashing and no
 * strings per packet. The labelled counters are filled from those numbers when Prometheus
 * scrapes (prom-client `collect`).
 */
import {
  Counter,
  collectDefaultMetrics,
  Gauge,
  Histogram,
  type PrometheusContentType,
  Registry,
} from 'prom-client';
import { type ChainErrorKind, CLAIM_REFUSALS, type SettlementStats } from '../settlement/index.js';
import { type AdmissionCounters, registerAdmissionMetrics } from './admission-metrics.js';
import type { ExplorerStatus } from './explorer/index.js';

/** Packets exchanged with one peer. Incoming: Prepares from the peer and our replies to them. */
export interface PacketCounts {
  prepareIn: number;
  fulfillIn: number;
  rejectIn: number;
  /** Codes of the rejects we answered the peer with. */
  readonly rejectCodes: Map<string, number>;
  /** Outgoing: Prepares we forwarded to the peer and the replies it gave. */
  prepareOut: number;
  fulfillOut: number;
  rejectOut: number;
}

export function newPacketCounts(): PacketCounts {
  return {
    prepareIn: 0,
    fulfillIn: 0,
    rejectIn: 0,
    rejectCodes: new Map(),
    prepareOut: 0,
    fulfillOut: 0,
    rejectOut: 0,
  };
}

export interface BalanceSample {
  peerId: string;
  debitBalance: bigint;
  creditBalance: bigint;
  pendingDebit: bigint;
  pendingCredit: bigint;
}

/** What the node reports at scrape time. */
export interface MetricsSource {
  /** Counts per peer; the node's own id stands for packets it originated. */
  packetCounts(): Iterable<readonly [string, PacketCounts]>;
  links(): Iterable<{ peerId: string; connected: boolean }>;
  balances(): Promise<BalanceSample[]>;
  packetsInFlight(): number;
  transitNotificationsDropped(): number;
  /** Settlement counters; undefined (or absent) when settlement is off. */
  settlement?: () => SettlementStats | undefined;
  /** The Explorer's store and losses; undefined (or absent) while no Explorer runs. */
  explorer?: () => ExplorerStatus | undefined;
  /** The x402 gateway's counters; undefined (or absent) unless `mode: gateway` runs. */
  gateway?: () => GatewayCounters | undefined;
  /** Open admission's counters; undefined (or absent) unless `btp.admission.mode` is open. */
  admission?: () => AdmissionCounters | undefined;
}

/**
 * What the x402 gateway did (docs/gateway.md): requests by direction and outcome, and token base
 * units moved on chain (settled in from payers, paid out to x402 servers).
 */
export interface GatewayCounters {
  readonly inbound: Readonly<Record<string, number>>;
  readonly outbound: Readonly<Record<string, number>>;
  readonly tokensSettledIn: bigint;
  readonly tokensPaidOut: bigint;
}

/** Latency buckets in seconds: 0.25 ms to 30 s (a packet may be held up to maxHoldTimeMs). */
const LATENCY_BUCKETS_S = [
  0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];

/** Reasons a received claim is refused; a fixed list, so the label is bounded. */
const REFUSAL_REASONS: readonly string[] = [...CLAIM_REFUSALS, 'unknown-peer'];
/** Every ChainErrorKind (the `satisfies` fails to compile when the type gains one). */
const CHAIN_ERROR_KINDS: readonly string[] = Object.keys({
  revert: 0,
  rpc: 0,
  timeout: 0,
  'wrong-chain': 0,
  'not-found': 0,
} satisfies Record<ChainErrorKind, 0>);

export class ConnectorMetrics {
  readonly registry = new Registry<PrometheusContentType>();
  /** Merged into the exposition only while the source reports settlement stats. */
  private readonly settlementRegistry = new Registry<PrometheusContentType>();
  /** Merged only while an x402 gateway runs. */
  private readonly gatewayRegistry = new Registry<PrometheusContentType>();
  /** Merged only while an Explorer runs. */
  private readonly explorerRegistry = new Registry<PrometheusContentType>();
  /** Merged only while open admission is on. */
  private readonly admissionRegistry = new Registry<PrometheusContentType>();
  private readonly source: MetricsSource;
  private readonly latency: Histogram;

  constructor(source: MetricsSource) {
    this.source = source;
    const registers = [this.registry];
    this.latency = new Histogram({
      name: 'connector_packet_duration_seconds',
      help: 'Time from receiving a Prepare to answering it',
      buckets: LATENCY_BUCKETS_S,
      registers,
    });
    new Counter({
      name: 'connector_packets_total',
      help: 'ILP packets by peer, direction (incoming: from the peer and our replies) and type',
      labelNames: ['peer', 'direction', 'type'],
      registers,
      collect() {
        this.reset();
        for (const [peer, c] of source.packetCounts()) {
          this.inc({ peer, direction: 'incoming', type: 'prepare' }, c.prepareIn);
          this.inc({ peer, direction: 'incoming', type: 'fulfill' }, c.fulfillIn);
          this.inc({ peer, direction: 'incoming', type: 'reject' }, c.rejectIn);
          this.inc({ peer, direction: 'outgoing', type: 'prepare' }, c.prepareOut);
          this.inc({ peer, direction: 'outgoing', type: 'fulfill' }, c.fulfillOut);
          this.inc({ peer, direction: 'outgoing', type: 'reject' }, c.rejectOut);
        }
      },
    });
    new Counter({
      name: 'connector_rejects_total',
      help: 'Rejects this node answered incoming Prepares with, by peer and ILP error code (codes outside RFC 27 as "other")',
      labelNames: ['peer', 'code'],
      registers,
      collect() {
        this.reset();
        for (const [peer, c] of source.packetCounts())
          for (const [code, n] of c.rejectCodes) this.inc({ peer, code }, n);
      },
    });
    new Gauge({
      name: 'connector_peer_connected',
      help: '1 while the BTP link to the peer is up',
      labelNames: ['peer'],
      registers,
      collect() {
        this.reset();
        for (const l of source.links()) this.set({ peer: l.peerId }, l.connected ? 1 : 0);
      },
    });
    new Gauge({
      name: 'connector_peer_balance',
      help: 'Ledger balance with the peer in asset base units (debit: the peer owes us; credit: we owe it)',
      labelNames: ['peer', 'side', 'state'],
      registers,
      async collect() {
        this.reset();
        for (const b of await source.balances()) {
          this.set({ peer: b.peerId, side: 'debit', state: 'posted' }, Number(b.debitBalance));
          this.set({ peer: b.peerId, side: 'credit', state: 'posted' }, Number(b.creditBalance));
          this.set({ peer: b.peerId, side: 'debit', state: 'pending' }, Number(b.pendingDebit));
          this.set({ peer: b.peerId, side: 'credit', state: 'pending' }, Number(b.pendingCredit));
        }
      },
    });
    new Gauge({
      name: 'connector_packets_in_flight',
      help: 'Prepares being handled now',
      registers,
      collect() {
        this.set(source.packetsInFlight());
      },
    });
    new Counter({
      name: 'connector_transit_notifications_dropped_total',
      help: 'Per-hop notifications dropped because too many were in flight',
      registers,
      collect() {
        this.reset();
        this.inc(source.transitNotificationsDropped());
      },
    });
    registerSettlementMetrics(this.settlementRegistry, () => source.settlement?.());
    registerExplorerMetrics(this.explorerRegistry, () => source.explorer?.());
    registerGatewayMetrics(this.gatewayRegistry, () => source.gateway?.());
    registerAdmissionMetrics(this.admissionRegistry, () => source.admission?.());
  }

  /** Hot path: one label-free observation. */
  observeLatency(seconds: number): void {
    this.latency.observe(seconds);
  }

  /** The exposition text: this node's metrics and the process's (CPU, memory, event loop, GC). */
  async scrape(): Promise<{ contentType: string; body: string }> {
    const settlementOn = this.source.settlement?.() !== undefined;
    const explorerOn = this.source.explorer?.() !== undefined;
    const gatewayOn = this.source.gateway?.() !== undefined;
    const admissionOn = this.source.admission?.() !== undefined;
    const merged = Registry.merge([
      this.registry,
      ...(settlementOn ? [this.settlementRegistry] : []),
      ...(explorerOn ? [this.explorerRegistry] : []),
      ...(gatewayOn ? [this.gatewayRegistry] : []),
      ...(admissionOn ? [this.admissionRegistry] : []),
      processRegistry(),
    ]);
    return { contentType: merged.contentType, body: await merged.metrics() };
  }
}

/**
 * Settlement counters, filled from SettlementStats at scrape time. Sent claims are the ones this
 * node signed and booked (a resend of the same claim is not counted again); received claims are
 * the ones it verified and booked. Refusal reasons and chain error kinds are fixed lists, every
 * value reported from 0; anything else would count as "other". None of them resets at a restart:
 * the engine saves its counts with its channels and goes on from them (docs/settlement.md).
 */
function registerSettlementMetrics(
  registry: Registry<PrometheusContentType>,
  stats: () => SettlementStats | undefined,
): void {
  const registers = [registry];
  /** A counter without labels: one field of the stats. */
  const total = (name: string, help: string, field: (s: SettlementStats) => number): void => {
    new Counter({
      name,
      help,
      registers,
      collect() {
        this.reset();
        const s = stats();
        if (s !== undefined) this.inc(field(s));
      },
    });
  };
  new Counter({
    name: 'connector_settlement_claims_total',
    help: 'Payment channel claims by direction (sent: signed for a peer; received: verified and booked)',
    labelNames: ['direction'],
    registers,
    collect() {
      this.reset();
      const s = stats();
      if (s === undefined) return;
      this.inc({ direction: 'sent' }, s.claimsSent);
      this.inc({ direction: 'received' }, s.claimsReceived);
    },
  });
  total(
    'connector_settlement_claims_acknowledged_total',
    'Sent claims the peer acknowledged',
    (s) => s.claimsAcknowledged,
  );
  total(
    'connector_settlement_claims_rejected_by_peer_total',
    'Sent claims the peer answered with a refusal',
    (s) => s.claimsRejectedByPeer,
  );
  new Counter({
    name: 'connector_settlement_claims_refused_total',
    help: 'Claims received from peers and refused, by reason',
    labelNames: ['reason'],
    registers,
    collect() {
      this.reset();
      const s = stats();
      if (s !== undefined) incBounded(this, 'reason', REFUSAL_REASONS, s.claimsRefused);
    },
  });
  total(
    'connector_settlement_redemptions_total',
    'Incoming channel claims redeemed on chain',
    (s) => s.redemptions,
  );
  new Counter({
    name: 'connector_settlement_tokens_total',
    help: 'Token base units claimed (sent, received) and redeemed on chain; as floats, values above 2^53 lose precision',
    labelNames: ['direction'],
    registers,
    collect() {
      this.reset();
      const s = stats();
      if (s === undefined) return;
      this.inc({ direction: 'sent' }, Number(s.tokensSent));
      this.inc({ direction: 'received' }, Number(s.tokensReceived));
      this.inc({ direction: 'redeemed' }, Number(s.tokensRedeemed));
    },
  });
  new Counter({
    name: 'connector_settlement_channels_total',
    help: 'Payment channels by direction and event (opened: this node opened it, or took its first claim; settled: closed on chain)',
    labelNames: ['direction', 'event'],
    registers,
    collect() {
      this.reset();
      const s = stats();
      if (s === undefined) return;
      for (const direction of ['outgoing', 'incoming'] as const) {
        this.inc({ direction, event: 'opened' }, s.channelsOpened[direction]);
        this.inc({ direction, event: 'settled' }, s.channelsSettled[direction]);
      }
    },
  });
  new Counter({
    name: 'connector_settlement_chain_errors_total',
    help: 'Chain operations the settlement engine ran on its own (settle, redeem, watch, connect) that failed after retries, by kind',
    labelNames: ['kind'],
    registers,
    collect() {
      this.reset();
      const s = stats();
      if (s !== undefined) incBounded(this, 'kind', CHAIN_ERROR_KINDS, s.chainErrors);
    },
  });
}

/**
 * The Explorer's store: up or not, and the events it lost. A failed store never stops the node
 * (docs/explorer.md), so these are the only place a scraper sees it.
 */
function registerGatewayMetrics(
  registry: Registry<PrometheusContentType>,
  counters: () => GatewayCounters | undefined,
): void {
  const registers = [registry];
  new Counter({
    name: 'connector_gateway_requests_total',
    help: 'x402 gateway requests by direction (inbound: HTTP to ILP, outbound: ILP to HTTP) and outcome',
    labelNames: ['direction', 'outcome'],
    registers,
    collect() {
      this.reset();
      const c = counters();
      if (c === undefined) return;
      for (const [outcome, n] of Object.entries(c.inbound)) this.inc({ direction: 'inbound', outcome }, n);
      for (const [outcome, n] of Object.entries(c.outbound)) this.inc({ direction: 'outbound', outcome }, n);
    },
  });
  new Counter({
    name: 'connector_gateway_tokens_total',
    help: 'Token base units the x402 gateway moved on chain: settled from payers (in) and paid to x402 servers (out)',
    labelNames: ['direction'],
    registers,
    collect() {
      this.reset();
      const c = counters();
      if (c === undefined) return;
      this.inc({ direction: 'in' }, Number(c.tokensSettledIn));
      this.inc({ direction: 'out' }, Number(c.tokensPaidOut));
    },
  });
}

function registerExplorerMetrics(
  registry: Registry<PrometheusContentType>,
  status: () => ExplorerStatus | undefined,
): void {
  const registers = [registry];
  new Gauge({
    name: 'connector_explorer_store_up',
    help: 'Whether the Explorer event store is open and taking writes (0: failed or closed)',
    registers,
    collect() {
      const s = status();
      if (s !== undefined) this.set(s.store.state === 'open' ? 1 : 0);
    },
  });
  new Counter({
    name: 'connector_explorer_events_dropped_total',
    help: 'Explorer events not stored, by stage (recorder: a drain came too late; store: failed or closed)',
    labelNames: ['stage'],
    registers,
    collect() {
      this.reset();
      const s = status();
      if (s === undefined) return;
      this.inc({ stage: 'recorder' }, s.dropped.recorder);
      this.inc({ stage: 'store' }, s.dropped.store);
    },
  });
}

/** Every known label value (from 0), and the rest summed as "other" so labels stay bounded. */
function incBounded<L extends string>(
  counter: Counter<L>,
  label: L,
  known: readonly string[],
  counts: ReadonlyMap<string, number>,
): void {
  for (const value of known) counter.inc({ [label]: value } as Record<L, string>, counts.get(value) ?? 0);
  let other = 0;
  for (const [value, n] of counts) if (!known.includes(value)) other += n;
  if (other > 0) counter.inc({ [label]: 'other' } as Record<L, string>, other);
}

let sharedProcessRegistry: Registry | undefined;

/** Process metrics are per process, not per node: one registry however many nodes run here. */
function processRegistry(): Registry {
  if (sharedProcessRegistry === undefined) {
    sharedProcessRegistry = new Registry();
    collectDefaultMetrics({ register: sharedProcessRegistry, prefix: 'connector_' });
  }
  return sharedProcessRegistry;
}
