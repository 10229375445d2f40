/** Per-peer runtime state: what the pipeline needs about the peer a packet came from or goes to. */
import { newPacketCounts, type PacketCounts } from '../http/index.js';
import { TokenBucket } from './rate-limiter.js';

export type PeerRelation = 'peer' | 'child' | 'parent';

export interface PeerSettings {
  id: string;
  url?: string | undefined;
  authToken: string;
  evmAddress?: string | undefined;
  settlementChain?: string | undefined;
  relation: PeerRelation;
  maxPacketAmount?: bigint | undefined;
  rateLimit?: { packetsPerSecond: number; burst: number } | undefined;
  maximum?: bigint | undefined;
  settleThreshold?: bigint | undefined;
  settleTo?: bigint | undefined;
  assetCode: string;
  assetScale: number;
  /** CCP: whether we advertise routes to this peer and learn the routes it advertises (false if unset). */
  sendRoutes?: boolean | undefined;
  receiveRoutes?: boolean | undefined;
}

export interface PeerState {
  readonly id: string;
  readonly settings: PeerSettings;
  /** Ledger account of this peer. */
  readonly account: string;
  readonly rateLimiter: TokenBucket | undefined;
  /** Packets exchanged with the peer, for /metrics. */
  readonly counts: PacketCounts;
}

export const SELF_ACCOUNT = 'own:local';

export function peerAccount(peerId: string): string {
  return `peer:${peerId}`;
}

export class PeerRegistry {
  private readonly peers = new Map<string, PeerState>();

  add(settings: PeerSettings, nowMs: number): PeerState {
    const limit = settings.rateLimit;
    const state: PeerState = {
      id: settings.id,
      settings,
      account: peerAccount(settings.id),
      rateLimiter: limit ? new TokenBucket(limit.packetsPerSecond, limit.burst, nowMs) : undefined,
      counts: newPacketCounts(),
    };
    this.peers.set(settings.id, state);
    return state;
  }

  get(peerId: string): PeerState | undefined {
    return this.peers.get(peerId);
  }

  has(peerId: string): boolean {
    return this.peers.has(peerId);
  }

  delete(peerId: string): boolean {
    return this.peers.delete(peerId);
  }

  parent(): PeerState | undefined {
    for (const p of this.peers.values()) if (p.settings.relation === 'parent') return p;
    return undefined;
  }

  all(): PeerState[] {
    return [...this.peers.values()];
  }
}
