/**
 * The types the settlement engine shares with the node: its options, the peer and link it is
 * given, the events it emits and its stats.
 */
import type { Address, Hex } from 'viem';
import type { ProtocolData } from '../../codec/index.js';
import type { Signer } from '../../keys/index.js';
import type { Ledger } from '../../ledger/index.js';
import type { Logger } from '../../utils/logger.js';
import type { ChainClients } from '../chain/chain-clients.js';
import type { ChannelStore } from '../channels/channel-store.js';
import type { ClaimRefusal } from '../claims/claim.js';
import type { SettlementSpec } from './spec.js';

/** What the engine needs to know about a peer. */
export interface SettlementPeer {
  readonly id: string;
  readonly evmAddress?: string | undefined;
  readonly settlementChain?: string | undefined;
  readonly assetScale: number;
  readonly settleThreshold?: bigint | undefined;
  readonly settleTo?: bigint | undefined;
}

export interface ClaimLink {
  isConnected(peerId: string): boolean;
  request(peerId: string, protocolData: ProtocolData[], timeoutMs?: number): Promise<ProtocolData[]>;
}

export type SettlementEvent =
  | { type: 'chain-ready'; chain: string; chainId: number; tokenNetwork: Address }
  | { type: 'channel-opened'; peerId: string; channelId: Hex; chain: string; deposit: bigint }
  | { type: 'channel-deposit'; peerId: string; channelId: Hex; deposit: bigint }
  | { type: 'claim-sent'; peerId: string; channelId: Hex; nonce: bigint; amount: bigint; ilpAmount: bigint }
  | { type: 'claim-acknowledged'; peerId: string; channelId: Hex; nonce: bigint }
  | { type: 'claim-rejected-by-peer'; peerId: string; channelId: Hex; nonce: bigint; message: string }
  | {
      type: 'claim-received';
      peerId: string;
      channelId: Hex;
      nonce: bigint;
      amount: bigint;
      ilpAmount: bigint;
    }
  | { type: 'claim-refused'; peerId: string; reason: ClaimRefusal | 'unknown-peer'; message: string }
  | { type: 'redeemed'; peerId: string; channelId: Hex; paid: bigint; redeemed: bigint; txHash: Hex }
  | {
      type: 'channel-closing';
      peerId: string;
      channelId: Hex;
      direction: 'incoming' | 'outgoing';
      settleableAt: bigint;
    }
  | { type: 'channel-settled'; peerId: string; channelId: Hex; direction: 'incoming' | 'outgoing' }
  | { type: 'error'; peerId?: string; operation: string; message: string };

export interface SettlementStats {
  claimsSent: number;
  claimsAcknowledged: number;
  /** Our claims the peer answered with a refusal. */
  claimsRejectedByPeer: number;
  claimsReceived: number;
  claimsRefused: Map<string, number>;
  redemptions: number;
  tokensSent: bigint;
  tokensReceived: bigint;
  tokensRedeemed: bigint;
  chainErrors: Map<string, number>;
  /** Channels this node has had, per direction (an incoming one from its first claim). */
  channelsOpened: { outgoing: number; incoming: number };
  channelsSettled: { outgoing: number; incoming: number };
}

export interface SettlementEngineOptions {
  readonly spec: SettlementSpec;
  readonly signer: Signer;
  /**
   * The chain clients of `signer`, one per chain; pass the node's so the engine and the
   * gateway share one transaction queue (one nonce source) per chain. Default: the engine's own.
   */
  readonly clients?: ChainClients | undefined;
  readonly store: ChannelStore;
  readonly ledger: () => Ledger;
  readonly links: ClaimLink;
  readonly peer: (peerId: string) => SettlementPeer | undefined;
  readonly peers: () => Iterable<SettlementPeer>;
  readonly peerAccount: (peerId: string) => string;
  readonly logger: Logger;
  readonly onEvent?: (event: SettlementEvent) => void;
  /** Claim requests over BTP; default 10 s. */
  readonly claimTimeoutMs?: number;
  /** Delay between a Fulfill and the threshold check it triggers; default 10 ms. */
  readonly checkDelayMs?: number;
}
