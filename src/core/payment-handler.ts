/**
 * The spec's simple payment handler (`setPacketHandler`) as a LocalDeliveryHandler.
 *
 * Fulfillment (DESIGN §4): the handler may return the preimage itself (secure hash-lock, e.g.
 * STREAM receivers). When it accepts without one, the connector derives it with the spec's
 * data scheme (fulfillment = sha256(data), condition = sha256(fulfillment)) but only if the
 * packet's condition was made that way; otherwise the accept cannot be fulfilled and is
 * rejected. The data-derived scheme gives NO hash-lock security: anyone who sees the data can
 * fulfill. Use it only between parties that trust each other.
 */
import { randomBytes } from 'node:crypto';
import { computeConditionFromData, computeFulfillmentFromData } from '../codec/condition.js';
import type {
  LocalDeliveryHandler,
  LocalDeliveryRequest,
  LocalDeliveryResponse,
  PaymentHandler,
  PaymentResponse,
} from '../types/index.js';
import type { Logger } from '../utils/logger.js';
import { WarnLimiter } from '../utils/warn-limiter.js';

const MAX_DATA_BYTES = 32767;

/** Business reject reasons and the ILP codes they map to (docs/errors.md lists the table). */
export const REJECT_CODE_MAP: Readonly<Record<string, string>> = Object.freeze({
  insufficient_funds: 'T04',
  expired: 'R00',
  invalid_request: 'F00',
  invalid_amount: 'F03',
  unexpected_payment: 'F06',
  cannot_receive: 'F07',
  application_error: 'F99',
  internal_error: 'T00',
  timeout: 'T00',
});

/** Maps a business code to an ILP code; an ILP code passes through; anything else is F99. */
export function mapRejectCode(code: string): string {
  if (/^[FTR][0-9A-Z]{2}$/.test(code)) return code;
  return REJECT_CODE_MAP[code] ?? 'F99';
}

export { computeConditionFromData, computeFulfillmentFromData };

export function generatePaymentId(): string {
  return randomBytes(16).toString('base64url');
}

/** Why the data cannot go into a Fulfill or Reject, or undefined when it can. */
function dataProblem(data: string): string | undefined {
  const decoded = Buffer.from(data, 'base64');
  if (decoded.toString('base64') !== data) return 'response data is not canonical base64; omitted';
  if (decoded.length > MAX_DATA_BYTES) return 'response data exceeds 32767 bytes; omitted';
  return undefined;
}

/** Returns the data if it is canonical base64 of at most 32767 bytes, else undefined (logged). */
export function validateResponseData(data: string | undefined, logger?: Logger): string | undefined {
  if (data === undefined || data === '') return undefined;
  const problem = dataProblem(data);
  if (problem === undefined) return data;
  logger?.warn(problem);
  return undefined;
}

/** Failures of a handler repeat once per packet: they are logged at most every 10 s per kind. */
const WARN_INTERVAL_MS = 10_000;

function checkedData(data: string | undefined, warnings: WarnLimiter | undefined): string | undefined {
  if (data === undefined || data === '') return undefined;
  const problem = dataProblem(data);
  if (problem === undefined) return data;
  warnings?.warn('response-data', {}, problem);
  return undefined;
}

function acceptToResponse(
  request: LocalDeliveryRequest,
  res: PaymentResponse,
  warnings: WarnLimiter | undefined,
): LocalDeliveryResponse {
  const data = checkedData(res.data, warnings);
  let fulfillment = res.fulfillment;
  if (fulfillment === undefined) {
    const packetData = Buffer.from(request.data, 'base64');
    if (computeConditionFromData(packetData).toString('base64') !== request.executionCondition) {
      return {
        reject: {
          code: 'F99',
          message: 'accepted without a fulfillment, and the condition is not derived from the data',
        },
      };
    }
    fulfillment = computeFulfillmentFromData(packetData).toString('base64');
  }
  return { fulfill: data === undefined ? { fulfillment } : { fulfillment, data } };
}

export function createPaymentHandlerAdapter(handler: PaymentHandler, logger?: Logger): LocalDeliveryHandler {
  const warnings = logger === undefined ? undefined : new WarnLimiter(logger, WARN_INTERVAL_MS);
  return async (request) => {
    let res: PaymentResponse;
    try {
      res = await handler({ ...request, paymentId: generatePaymentId() });
    } catch (err) {
      warnings?.warn('handler-threw', { err }, 'payment handler threw');
      return { reject: { code: 'T00', message: 'internal error in the payment handler' } };
    }
    if (res?.accept === true) return acceptToResponse(request, res, warnings);
    const code = res?.rejectReason ? mapRejectCode(res.rejectReason.code) : 'F99';
    const message = res?.rejectReason?.message ?? 'payment rejected';
    const data = checkedData(res?.data, warnings);
    return { reject: data === undefined ? { code, message } : { code, message, data } };
  };
}
