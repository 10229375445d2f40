export type { ConnectorNodeOptions } from './connector-node.js';
export { ConnectorNode } from './connector-node.js';
export { PacketHandler } from './packet-handler.js';
export {
  computeConditionFromData,
  computeFulfillmentFromData,
  createPaymentHandlerAdapter,
  generatePaymentId,
  mapRejectCode,
  REJECT_CODE_MAP,
  validateResponseData,
} from './payment-handler.js';
export { STAGES } from './pipeline.js';
