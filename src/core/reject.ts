/** Rejects this node creates: values, with `triggeredBy` = our own ILP address (DESIGN §3.10). */
import type { IlpReject } from '../codec/index.js';

const EMPTY = new Uint8Array(0);

export function reject(
  code: string,
  message: string,
  triggeredBy: string,
  data: Uint8Array = EMPTY,
): IlpReject {
  return { type: 14, code, triggeredBy, message, data };
}

/** F08 data (RFC 27): received amount (UInt64 BE) ‖ maximum amount (UInt64 BE). */
export function amountTooLargeData(received: bigint, maximum: bigint): Uint8Array {
  const data = new Uint8Array(16);
  const view = new DataView(data.buffer);
  view.setBigUint64(0, received);
  view.setBigUint64(8, maximum);
  return data;
}
