/**
 * The data types of ConnectorNode's public API (names and shapes follow the spec's README): what
 * its methods take and return. Types only: both http/ (which serves them) and core/ (which
 * implements them) import them from here.
 */
import type { IlpFulfill, IlpPrepare, IlpReject } from '../codec/index.js';

export type ILPPreparePacket = IlpPrepare;
export type ILPFulfillPacket = IlpFulfill;
export type ILPRejectPacket = IlpReject;

export type DeploymentMode = 'embedded' | 'standalone';

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
  /** The `blockchain` entry this peer settles on (default `settlementInfra.chain`). */
  settlementChain?: string;
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
  /** `learned` for a route learned by CCP (docs/routing.md); absent for configured routes. */
  origin?: 'learned';
  /** A learned route's path as the neighbour advertised it, its own address first. */
  path?: readonly string[];
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

/**
 * A payment channel as the settlement layer reports it. Amounts are token base units, as
 * decimal strings (JSON has no bigint). `outgoing`: we pay into it and sign its claims;
 * `incoming`: the peer pays, we hold its latest claim and redeem it.
 */
export interface ChannelMetadata {
  channelId: string;
  peerId: string;
  chain: string;
  chainId: number;
  direction: 'outgoing' | 'incoming';
  counterparty: string;
  tokenNetwork: string;
  status: 'open' | 'closing' | 'settled';
  deposit: string;
  /** Cumulative amount of the latest claim, and its nonce. */
  transferred: string;
  nonce: string;
  /** Incoming only: redeemed on chain so far. */
  redeemed?: string;
  /** Outgoing only: the newest nonce the peer acknowledged. */
  acknowledgedNonce?: string;
  /** Seconds since the epoch when a closing channel may be settled; 0 while open. */
  settleableAt: string;
}

/** "Settle now" of one channel: the channel after it, and whether a claim left (ours, open). */
export interface ChannelSettleResult {
  channel: ChannelMetadata;
  claimSent: boolean;
}

/** The node's wallet on one chain; balances are absent while the chain is not connected. */
export interface WalletChainBalance {
  chain: string;
  chainId: number;
  address: string;
  token?: string;
  /** Token base units, decimal: what settled channels returned and was never deposited again. */
  tokenBalance?: string;
  /** Wei, decimal: pays the gas of channel transactions. */
  ethBalance?: string;
}

/** A withdrawal of tokens from the node's wallet: `amount` token base units to `to`. */
export interface WithdrawRequest {
  to: string;
  amount: bigint;
  /** A configured chain's name; default: the first configured. */
  chain?: string;
}

export interface WithdrawResult {
  chain: string;
  to: string;
  amount: string;
  txHash: string;
  /** The wallet's token balance after the transfer. */
  tokenBalance: string;
}

/** `amount`: token base units to deposit (a new channel, or more into the open one). */
export interface ChannelOpenOptions {
  peerId: string;
  amount: bigint;
}

/** `getChannelState(peerId)`: the peer's current (not settled) channel in each direction. */
export interface PeerChannelState {
  peerId: string;
  /** We pay into it: our signed claims. */
  outgoing?: ChannelMetadata;
  /** The peer pays into it: its claims we hold and redeem. */
  incoming?: ChannelMetadata;
}
