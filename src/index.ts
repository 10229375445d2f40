/** Public API of @toon-protocol/connector: named exports only. */
export { BTPClient, BTPClientManager, BTPServer, LinkManager } from './btp/index.js';
export type { IlpFulfill, IlpPrepare, IlpReject, ProtocolData } from './codec/index.js';
export {
  decodeBtpPacket,
  decodeIldcpResponse,
  decodeIlpPacket,
  encodeBtpPacket,
  encodeIldcpResponse,
  encodeIlpPacket,
  isValidAddress,
  REJECT_CODES,
} from './codec/index.js';
export type {
  AdminApiConfig,
  BlockchainConfig,
  ConnectorConfig,
  DeploymentMode as ConfigDeploymentMode,
  Environment,
  ExplorerConfig,
  LocalDeliveryConfig,
  PeerConfig,
  PerformanceConfig,
  ResolvedConfig,
  RouteConfig,
  SecurityConfig,
  SettlementConfig,
  SettlementInfraConfig,
} from './config/index.js';
export { ConfigLoader } from './config/index.js';
export type { ConnectorNodeOptions } from './core/index.js';
export {
  ConnectorNode,
  computeConditionFromData,
  computeFulfillmentFromData,
  createPaymentHandlerAdapter,
  generatePaymentId,
  mapRejectCode,
  PacketHandler,
  REJECT_CODE_MAP,
  validateResponseData,
} from './core/index.js';
export type {
  AccessOptions,
  AdminServerOptions,
  IlpSendRequest,
  IlpSendResponse,
  IsReadyFn,
  PacketSenderFn,
} from './http/index.js';
export { AdminServer, IlpSendHandler, validateIlpSendRequest } from './http/index.js';
export type { AccountBalance, Ledger } from './ledger/index.js';
export { MemoryLedger } from './ledger/index.js';
export type { RouteEntry } from './routing/index.js';
export { RoutingTable } from './routing/index.js';
export type {
  ChannelView,
  SettlementContext,
  SettlementEvent,
  SettlementStats,
} from './settlement/index.js';
export {
  AccountManager,
  SettlementEngine,
  SettlementMonitor,
  UnifiedSettlementExecutor,
} from './settlement/index.js';
export type {
  ChannelMetadata,
  ChannelOpenOptions,
  DeploymentMode,
  ILPFulfillPacket,
  ILPPreparePacket,
  ILPRejectPacket,
  LocalDeliveryHandler,
  LocalDeliveryRequest,
  LocalDeliveryResponse,
  PaymentHandler,
  PaymentRequest,
  PaymentResponse,
  PeerAccountBalance,
  PeerChannelState,
  PeerInfo,
  PeerRegistrationRequest,
  RemovePeerResult,
  RouteInfo,
  SendPacketParams,
} from './types/index.js';
export { ConfigurationError, ConnectorError, ConnectorNotStartedError, ERROR_CODES } from './utils/errors.js';
export type { Logger } from './utils/logger.js';
export { createLogger } from './utils/logger.js';
