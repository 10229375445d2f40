export { AuthorizationStore, authorizationId, type StoredAuthorization } from './authorization-store.js';
export { DEFAULT_SPEND_FILE, DEFAULT_STORE_FILE, type GatewayOptions, X402Gateway } from './gateway.js';
export { encodeHttpResponse, type HttpRequestMessage, parseHttpRequest } from './http-message.js';
export {
  encodeIlpRequest,
  FORWARDED_HEADERS,
  type GatewayRequest,
  MAX_ILP_DATA_BYTES,
} from './ilp-request.js';
export type { IlpPrepareRequest, InboundStats } from './inbound.js';
export { OutboundGateway, type OutboundStats } from './outbound.js';
export { matchRoute, scaleExactly } from './routes.js';
export { SpendLog, utcDay } from './spend-log.js';
export { type TokenDomain, TRANSFER_WITH_AUTHORIZATION_TYPES } from './verify.js';
export {
  decodePaymentHeader,
  EVM_NETWORKS,
  encodeSettleResponse,
  type PaymentRequirements,
  type SettleResponse,
  X402_VERSION,
  type X402Error,
} from './x402.js';
