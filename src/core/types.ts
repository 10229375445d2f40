/** Public types of the ConnectorNode API (names and shapes follow the spec's README). */
import type { IlpFulfill, IlpPrepare, IlpReject } from '../codec/index.js';

export type ILPPreparePacket = IlpPrepare;
export type ILPFulfillPacket = IlpFulfill;
export type ILPRejectPacket = IlpReject;

/** What `sendPacket` takes. Buffers are accepted wherever Uint8Array is. */
export interface SendPacketParams {
  destination: string;
  amount: bigint;
  executionCondition: Uint8Array;
  expiresAt: Date;
  data?: Uint8Array;
}

/**
 * A packet delivered to this node, in JSON-safe form: the same object is POSTed to a standalone
 * business-logic server. Amount as a decimal string, binary fields as base64.
 */
export interface LocalDeliveryRequest {
  destination: string;
  amount: string;
  executionCondition: string;
  expiresAt: string;
  data: string;
  sourcePeer: string;
  /** True for a fire-and-forget copy at an intermediate hop (perHopNotification). */
  isTransit?: boolean;
}

export interface LocalDeliveryResponse {
  fulfill?: { fulfillment: string; data?: string };
  reject?: { code: string; message: string; data?: string };
}

export type LocalDeliveryHandler = (
  request: LocalDeliveryRequest,
  sourcePeer: string,
) => Promise<LocalDeliveryResponse> | LocalDeliveryResponse;

/** The simplified request given to `setPacketHandler` handlers. */
export interface PaymentRequest extends LocalDeliveryRequest {
  paymentId: string;
}

export interface PaymentResponse {
  accept: boolean;
  /** base64 32-byte preimage; when omitted see DESIGN §4 (data-derived scheme). */
  fulfillment?: string;
  /** base64 data for the Fulfill or Reject. */
  data?: string;
  rejectReason?: { code: string; message: string };
}

export type PaymentHandler = (request: PaymentRequest) => Promise<PaymentResponse> | PaymentResponse;

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

export type DeploymentMode = 'embedded' | 'standalone';
