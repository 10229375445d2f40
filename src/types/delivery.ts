/**
 * What a node hands to the code that answers packets addressed to it: the embedded handler
 * (`setPacketHandler`, `setLocalDeliveryHandler`) and, as JSON, a standalone business-logic
 * server. Types only.
 */

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
