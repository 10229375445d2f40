export type {
  LocalDeliveryHandler,
  LocalDeliveryRequest,
  LocalDeliveryResponse,
  PaymentHandler,
  PaymentRequest,
  PaymentResponse,
} from './delivery.js';
export type { NodeEvent, NodeEventType, PacketDirection } from './events.js';
export { NODE_EVENT_TYPES, PACKET_EVENT_TYPES } from './events.js';
export type {
  ChannelMetadata,
  ChannelOpenOptions,
  ChannelSettleResult,
  DeploymentMode,
  ILPFulfillPacket,
  ILPPreparePacket,
  ILPRejectPacket,
  PeerAccountBalance,
  PeerChannelState,
  PeerInfo,
  PeerRegistrationRequest,
  PeerRouteInput,
  RemovePeerResult,
  RouteInfo,
  SendPacketParams,
  WalletChainBalance,
  WithdrawRequest,
  WithdrawResult,
} from './node.js';
