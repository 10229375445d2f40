/**
 * The node's API types that the HTTP layer needs, and what the admin server asks of a node.
 * They live here because http/ sits below core/ (docs/architecture.md); core/types.ts
 * re-exports them, so users import them from the package as before.
 */
import type { IlpFulfill, IlpReject } from '../codec/index.js';

/** What `sendPacket` takes. Buffers are accepted wherever Uint8Array is. */
export interface SendPacketParams {
  destination: string;
  amount: bigint;
  executionCondition: Uint8Array;
  expiresAt: Date;
  data?: Uint8Array;
}

export interface PeerRouteInput {
  prefix: string;
  priority?: number;
}

export interface PeerRegistrationRequest {
  id: string;
  url?: string;
  authToken?: string;
  evmAddress?: string;
  relation?: 'peer' | 'child' | 'parent';
  routes?: PeerRouteInput[];
  maxPacketAmount?: bigint;
  rateLimit?: { packetsPerSecond: number; burst: number };
  balance?: { maximum?: bigint; settleThreshold?: bigint; settleTo?: bigint };
}

export interface PeerInfo {
  id: string;
  url?: string;
  relation: 'peer' | 'child' | 'parent';
  connected: boolean;
  evmAddress?: string;
  /** Route prefixes whose next hop is this peer. */
  ilpAddresses: string[];
  routeCount: number;
}

export interface RouteInfo {
  prefix: string;
  nextHop: string;
  priority: number;
}

export interface RemovePeerResult {
  peerId: string;
  removed: boolean;
  removedRoutes: string[];
}

/**
 * A peer's position in the ledger. debitBalance: what the peer owes us (posted); creditBalance:
 * what we owe the peer (posted); netBalance = creditBalance - debitBalance (positive: we owe them).
 */
export interface PeerAccountBalance {
  peerId: string;
  tokenId: string;
  debitBalance: bigint;
  creditBalance: bigint;
  netBalance: bigint;
  pendingDebit: bigint;
  pendingCredit: bigint;
}

/** Payment channel state, as the settlement layer reports it. */
export interface ChannelMetadata {
  channelId: string;
  peerId: string;
  chain: string;
  status: string;
  deposit: string;
}

export interface ChannelOpenOptions {
  peerId: string;
  amount: bigint;
  chain?: string;
}

/** What the admin API and the ILP send handler need of a node (ConnectorNode implements it). */
export interface AdminNode {
  isReady(): boolean;
  listPeers(): PeerInfo[];
  registerPeer(request: PeerRegistrationRequest): Promise<PeerInfo>;
  removePeer(peerId: string, removeRoutes?: boolean): Promise<RemovePeerResult>;
  listRoutes(): RouteInfo[];
  addRoute(prefix: string, nextHop: string, priority?: number): void;
  removeRoute(prefix: string): void;
  sendPacket(params: SendPacketParams): Promise<IlpFulfill | IlpReject>;
  getBalance(peerId: string): Promise<PeerAccountBalance>;
  listChannels(): Promise<ChannelMetadata[]>;
  openChannel(options: ChannelOpenOptions): Promise<ChannelMetadata>;
}
