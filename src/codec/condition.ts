/**
 * The spec's data-derived hash-lock (DESIGN §4): fulfillment = sha256(data),
 * condition = sha256(fulfillment). It gives NO hash-lock security: anyone who sees the data can
 * fulfill. Used only between parties that trust each other, and where a sender gives no condition.
 */
import { createHash } from 'node:crypto';

export function computeFulfillmentFromData(data: Uint8Array): Buffer {
  return createHash('sha256').update(data).digest();
}

export function computeConditionFromData(data: Uint8Array): Buffer {
  return createHash('sha256').update(computeFulfillmentFromData(data)).digest();
}
