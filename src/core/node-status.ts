/**
 * What a node reports about itself, computed live at each request: a peer's balance in the
 * spec's shape, the health summary, and the source /metrics reads at scrape time.
 */
import type { LinkManager } from '../btp/index.js';
import type { ResolvedConfig } from '../config/index.js';
import type {
  AdmissionCounters,
  ExplorerStatus,
  GatewayCounters,
  MetricsSource,
  NodeHealth,
  PacketCounts,
} from '../http/index.js';
import type { Ledger } from '../ledger/index.js';
import type { SettlementStats } from '../settlement/index.js';
import type { PeerAccountBalance } from '../types/index.js';
import { ConnectorError } from '../utils/errors.js';
import { VERSION } from '../utils/version.js';
import type { PeerRegistry } from './peers.js';

/** debitBalance: what the peer owes us; creditBalance: what we owe it (posted). */
export async function peerBalance(
  ledger: Ledger,
  peers: PeerRegistry,
  config: ResolvedConfig,
  peerId: string,
): Promise<PeerAccountBalance> {
  const balance = await ledger.getBalance(`peer:${peerId}`);
  if (balance === undefined) throw new ConnectorError('ERR_PEER_UNKNOWN', `no account for peer ${peerId}`);
  const peer = peers.get(peerId);
  return {
    peerId,
    tokenId: peer?.settings.assetCode ?? config.asset.code,
    debitBalance: balance.debitsPosted,
    creditBalance: balance.creditsPosted,
    netBalance: balance.creditsPosted - balance.debitsPosted,
    pendingDebit: balance.debitsPending,
    pendingCredit: balance.creditsPending,
  };
}

export interface StatusParts {
  config: ResolvedConfig;
  peers: PeerRegistry;
  links: LinkManager;
  address: () => string;
  /** Undefined while no Explorer runs (off, not started yet, or stopped). */
  explorer: () => ExplorerStatus | undefined;
}

export function healthStatus(
  p: StatusParts,
  state: NodeHealth['state'],
  startedAtMs: number | undefined,
): NodeHealth {
  return {
    nodeId: p.config.nodeId,
    ilpAddress: p.address(),
    state,
    startedAtMs,
    peers: p.peers.all().map((peer) => ({
      id: peer.id,
      connected: p.links.isConnected(peer.id),
      dialed: peer.settings.url !== undefined,
      relation: peer.settings.relation,
    })),
    version: VERSION,
    ...explorerHealth(p.explorer()),
  };
}

function explorerHealth(status: ExplorerStatus | undefined): Pick<NodeHealth, 'explorer'> {
  if (status === undefined) return {};
  const { state, error } = status.store;
  return { explorer: error === undefined ? { store: state } : { store: state, error } };
}

export interface MetricsParts extends StatusParts {
  /** Counts of packets this node originated. */
  own: PacketCounts;
  balance: (peerId: string) => Promise<PeerAccountBalance>;
  packetsInFlight: () => number;
  transitDropped: () => number;
  settlement: () => SettlementStats | undefined;
  /** The x402 gateway's counters while one runs (mode: gateway). */
  gateway: () => GatewayCounters | undefined;
  /** Open admission's counters while it is on. */
  admission: () => AdmissionCounters | undefined;
}

export function metricsSource(p: MetricsParts): MetricsSource {
  return {
    packetCounts: () => [
      [p.config.nodeId, p.own] as const,
      ...p.peers.all().map((peer) => [peer.id, peer.counts] as const),
    ],
    links: () => p.peers.all().map((peer) => ({ peerId: peer.id, connected: p.links.isConnected(peer.id) })),
    balances: () => Promise.all(p.peers.all().map((peer) => p.balance(peer.id))),
    packetsInFlight: p.packetsInFlight,
    transitNotificationsDropped: p.transitDropped,
    settlement: p.settlement,
    explorer: p.explorer,
    gateway: p.gateway,
    admission: p.admission,
  };
}
