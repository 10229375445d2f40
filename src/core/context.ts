/** What flows through the packet pipeline, and what its stages may use. */
import type { IlpPrepare, IlpReply } from '../codec/index.js';
import type { Ledger } from '../ledger/index.js';
import type { Logger } from '../utils/logger.js';
import type { PeerRegistry, PeerState } from './peers.js';

/** A reply; `raw` holds the bytes when they came from the next hop, so they are relayed unchanged. */
export type Reply = IlpReply & { raw?: Uint8Array };

export interface PacketContext {
  /** The peer the Prepare came from; undefined when this node originated it (sendPacket). */
  readonly source: PeerState | undefined;
  readonly raw: Uint8Array;
  readonly prepare: IlpPrepare;
  readonly receivedAtMs: number;
  /**
   * Originated by a part of this node that books against an account of its own (the gateway's
   * `x402:<network>`); undefined: the node's own (`own:local`) or a peer's (`source`).
   */
  readonly originAccount: string | undefined;
  /** Set by the route stage: the next hop, or undefined with `local` for local delivery. */
  nextHop: PeerState | undefined;
  local: boolean;
  outgoingAmount: bigint;
  outgoingExpiryMs: number;
  /**
   * Set when the Prepare may have reached the next hop but no answer came back (timeout, link
   * closed): its hold then stays open for reconciliation instead of being settled as rejected.
   */
  unanswered: boolean;
}

export type Next = (ctx: PacketContext) => Promise<Reply> | Reply;
export type Stage = (ctx: PacketContext, next: Next) => Promise<Reply> | Reply;

export interface RouteLookup {
  lookup(destination: string): { prefix: string; nextHop: string; priority: number } | undefined;
}

export interface LinkSender {
  isConnected(peerId: string): boolean;
  sendIlp(peerId: string, ilp: Uint8Array, timeoutMs: number): Promise<Uint8Array>;
}

/** Local delivery as the pipeline's last stages use it (core/local-delivery.ts implements it). */
export interface LocalDeliverer {
  deliver(ctx: PacketContext): Promise<Reply>;
  /** Fire and forget: never delays forwarding. */
  notifyTransit(ctx: PacketContext): void;
  /** The account a local packet to `destination` is booked to: a service's own (the gateway's), else undefined (`own:local`). */
  accountOf(destination: string): string | undefined;
}

/** CCP's two messages, answered by the node's speaker (routing/ccp/speaker.ts); throw CcpRefusal. */
export interface RouteProtocol {
  handleControl(peerId: string, data: Uint8Array): void;
  handleUpdate(peerId: string, data: Uint8Array, nowMs: number): void;
}

export interface PipelineServices {
  readonly nodeId: string;
  /** Our ILP address; may change once a parent answers IL-DCP. */
  address(): string;
  now(): number;
  readonly minMessageWindowMs: number;
  readonly maxHoldTimeMs: number;
  readonly peers: PeerRegistry;
  readonly routes: RouteLookup;
  readonly ledger: Ledger;
  readonly links: LinkSender;
  readonly local: LocalDeliverer;
  readonly perHopNotification: boolean;
  /** Route learning; undefined when CCP is off (peer.route.* is then unreachable: F02). */
  readonly ccp?: RouteProtocol | undefined;
  nextTransferId(): bigint;
  /** Told after a Fulfill to this peer was booked (settlement's threshold check); must not block. */
  readonly fulfilledTo?: ((peerId: string) => void) | undefined;
  /**
   * Prepares that leave are recorded before they go, for reconciliation after a crash
   * (`settlement.reconcileInFlight`; the journal ledger only).
   */
  readonly reconcileInFlight?: boolean | undefined;
  /** How long a fulfillment passed on stays answerable to its peer after the packet's expiry. */
  readonly reconcileWindowMs?: number | undefined;
  readonly logger: Logger;
}
