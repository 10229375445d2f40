export { isUnder, isValidAddress, isValidSegment, MAX_ADDRESS_LENGTH } from './address.js';
export type { BtpError, BtpMessage, BtpPacket, BtpResponse, BtpTransfer, ProtocolData } from './btp.js';
export { BTP_TYPE, CONTENT_TYPE, decodeBtpPacket, encodeBtpPacket, peekBtpHeader } from './btp.js';
export type { CcpMode, CcpRoute, CcpRouteControl, CcpRouteProp, CcpRouteUpdate } from './ccp.js';
export {
  CCP_CONTROL_DESTINATION,
  CCP_MODE,
  CCP_UPDATE_DESTINATION,
  ccpRouteSize,
  decodeCcpRouteControl,
  decodeCcpRouteUpdate,
  encodeCcpRouteControl,
  encodeCcpRouteUpdate,
  PEER_PROTOCOL_CONDITION,
  PEER_PROTOCOL_FULFILLMENT,
  ROUTE_AUTH_LENGTH,
} from './ccp.js';
export type { IldcpResponse } from './ildcp.js';
export {
  decodeIldcpResponse,
  encodeIldcpResponse,
  ILDCP_CONDITION,
  ILDCP_DESTINATION,
  ILDCP_FULFILLMENT,
} from './ildcp.js';
export type { IlpFulfill, IlpPacket, IlpPrepare, IlpReject, IlpReply } from './ilp.js';
export {
  CONDITION_LENGTH,
  encodeFulfill,
  encodeIlpPacket,
  encodePrepare,
  encodeReject,
  FULFILLMENT_LENGTH,
  ILP_TYPE,
  MAX_DATA_LENGTH,
  MAX_MESSAGE_LENGTH,
  patchPrepare,
} from './ilp.js';
export { decodeFulfill, decodeIlpPacket, decodeIlpReply, decodePrepare, decodeReject } from './ilp-decode.js';
export type { RejectCode } from './reject-codes.js';
export { isValidRejectCode, REJECT_CODES } from './reject-codes.js';
