/** Rejects this node creates: values, with `triggeredBy` = our own ILP address (DESIGN §3.10). */
import type { IlpReject } from '../codec/index.js';

const EMPTY = new Uint8Array(0);

export function reject(
  code: string,
  message: string,
  triggeredBy: string,
  data: Uint8Array = EMPTY,
): IlpReject {
  return { type: 14, code, triggeredBy, message: boundMessage(message), data };
}

/** F08 data (RFC 27): received amount (UInt64 BE) ‖ maximum amount (UInt64 BE). */
export function amountTooLargeData(received: bigint, maximum: bigint): Uint8Array {
  const data = new Uint8Array(16);
  const view = new DataView(data.buffer);
  view.setBigUint64(0, received);
  view.setBigUint64(8, maximum);
  return data;
}

const MAX_MESSAGE_BYTES = 8191;

/** RFC 27 caps a reject message at 8191 bytes: longer text (a peer's BTP error, a handler's reason) is cut. */
function boundMessage(message: string): string {
  if (message.length <= MAX_MESSAGE_BYTES / 4) return message;
  const bytes = Buffer.from(message, 'utf8');
  if (bytes.length <= MAX_MESSAGE_BYTES) return message;
  // Cut on a character boundary: drop continuation bytes (10xxxxxx) at the cut.
  let end = MAX_MESSAGE_BYTES;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}
