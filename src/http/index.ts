export type { AccessOptions } from './access.js';
export type { AdminNode } from './admin-node.js';
export type { AdminServerOptions } from './admin-server.js';
export { AdminServer } from './admin-server.js';
export type {
  AdmissionCounters,
  AdmissionRefusal,
  AgentDeparture,
} from './admission-metrics.js';
export { ADMISSION_REFUSALS, AGENT_DEPARTURES } from './admission-metrics.js';
export type {
  EventFilters,
  EventPage,
  ExplorerIdentity,
  ExplorerNode,
  ExplorerOptions,
  ExplorerPeer,
  ExplorerSettings,
  ExplorerStats,
  ExplorerStatus,
  PageRequest,
  PruneOptions,
  RecordedEvent,
  RecorderOptions,
  SettlementAddress,
  StoreHealth,
} from './explorer/index.js';
export {
  blockExplorerUrl,
  EventRecorder,
  EventStore,
  Explorer,
  fromSettlementEvent,
  STATS_SECONDS,
} from './explorer/index.js';
export type { HealthStatus, MetricsScrape, NodeHealth, PeerHealth } from './health-server.js';
export { HealthServer, summarize } from './health-server.js';
export type {
  HandlerResult,
  HttpError,
  IlpSendRequest,
  IlpSendResponse,
  IsReadyFn,
  PacketSenderFn,
} from './ilp-send-handler.js';
export { IlpSendHandler, parseIlpSendRequest, validateIlpSendRequest } from './ilp-send-handler.js';
export type { BalanceSample, GatewayCounters, MetricsSource, PacketCounts } from './metrics.js';
export { ConnectorMetrics, newPacketCounts } from './metrics.js';
