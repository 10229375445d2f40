export type {
  LocalDeliveryHandler,
  LocalDeliveryRequest,
  LocalDeliveryResponse,
  PaymentHandler,
  PaymentRequest,
  PaymentResponse,
} from './delivery.js';
export type {
  ChannelMetadata,
  ChannelOpenOptions,
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
} from './node.js';
