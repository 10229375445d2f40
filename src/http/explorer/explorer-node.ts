/**
 * What the Explorer asks of a node (ConnectorNode implements it, like `AdminNode`): plain
 * callbacks, read on each request, so http/ never imports core/. Amounts are bigint here; the
 * Explorer turns them into decimal strings for JSON.
 */
import type { ChannelMetadata, PeerAccountBalance, RouteInfo } from '../../types/index.js';

export interface SettlementAddress {
  chain: string;
  chainId: number;
  address: string;
}

export interface ExplorerIdentity {
  nodeId: string;
  ilpAddress: string;
  version: string;
  settlementAddresses: SettlementAddress[];
  /** How the node's keys are held ('env', 'hd', 'aws-kms', ...); null without settlement. */
  keyBackend: string | null;
  startedAtMs: number;
}

export interface ExplorerPeer {
  id: string;
  relation: 'peer' | 'child' | 'parent';
  connected: boolean;
  url?: string;
  /** The peer's debit limit (`balance.maximum`); undefined: none. */
  maximum?: bigint;
  /** Settle when we owe the peer this much; undefined: never. */
  settleThreshold?: bigint;
}

export interface ExplorerNode {
  identity(): ExplorerIdentity;
  peers(): ExplorerPeer[];
  routes(): RouteInfo[];
  /** Every peer's account; also what `balance.changed` events are computed from. */
  balances(): Promise<PeerAccountBalance[]>;
  /** Every payment channel; empty when settlement is off. */
  channels(): Promise<ChannelMetadata[]>;
}
