/** Answer frames (RFC 23 Response and Error) that are always sendable: what cannot be encoded within the frame bound becomes a plain F00. */
import { BTP_TYPE, encodeBtpPacket, type ProtocolData } from '../codec/btp.js';

const FALLBACK_ERROR_DATA = 'error could not be encoded';

export function responseFrame(
  requestId: number,
  protocolData: ProtocolData[],
  maxFrameBytes: number,
): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = encodeBtpPacket({ type: BTP_TYPE.response, requestId, protocolData });
  } catch (err) {
    const reason = `response could not be encoded: ${messageOf(err)}`;
    return errorFrame(requestId, 'F00', 'NotAcceptedError', reason, [], maxFrameBytes);
  }
  if (bytes.length <= maxFrameBytes) return bytes;
  return errorFrame(
    requestId,
    'F00',
    'NotAcceptedError',
    'response exceeds maxFrameBytes',
    [],
    maxFrameBytes,
  );
}

export function errorFrame(
  requestId: number,
  code: string,
  name: string,
  data: string,
  protocolData: ProtocolData[],
  maxFrameBytes: number,
): Uint8Array {
  const triggeredAt = new Date();
  try {
    const bytes = encodeBtpPacket({
      type: BTP_TYPE.error,
      requestId,
      code,
      name,
      triggeredAt,
      data,
      protocolData,
    });
    if (bytes.length <= maxFrameBytes) return bytes;
  } catch {
    // replaced below
  }
  return encodeBtpPacket({
    type: BTP_TYPE.error,
    requestId,
    code: 'F00',
    name: 'NotAcceptedError',
    triggeredAt,
    data: FALLBACK_ERROR_DATA,
    protocolData: [],
  });
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
