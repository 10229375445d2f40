/**
 * Frames a session writes: answer frames (RFC 23 Response and Error) that are always sendable
 * (what cannot be encoded within the frame bound becomes a plain F00), and the WebSocket frame
 * around a BTP frame.
 */
import { randomFillSync } from 'node:crypto';
import { BTP_TYPE, encodeBtpPacket, type ProtocolData } from '../codec/btp.js';
import { messageOf } from '../utils/text.js';

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

/** RFC 6455 §5.2: FIN and opcode 2 (binary), the only frame a BTP session sends itself. */
const FIN_BINARY = 0x82;
const MASK_BIT = 0x80;
const MASK_LENGTH = 4;
/** Payload lengths up to 125 fit the second header byte; 126 announces a 16-bit length. */
const MAX_SHORT_LENGTH = 125;
const LENGTH_16 = 126;
const MAX_WS_FRAME_PAYLOAD = 0xffff;
const MASK_POOL_SIZE = 8 * 1024;
let maskPool: Buffer | undefined;
let maskAt = MASK_POOL_SIZE;

/**
 * One unfragmented binary WebSocket frame (RFC 6455 §5.2) carrying `payload` (at most
 * MAX_WS_FRAME_PAYLOAD bytes), in one buffer that leaves in one socket write: what ws.send
 * writes, without its two option objects, header buffer and second write per message. A client
 * masks (§5.3) with a fresh random key per frame, from a pool the CSPRNG fills, as ws does.
 * The payload is copied, never modified.
 */
export function wsBinaryFrame(payload: Uint8Array, masked: boolean): Buffer {
  const length = payload.length;
  if (length > MAX_WS_FRAME_PAYLOAD) throw new RangeError(`WebSocket payload of ${length} bytes is too long`);
  const lengthBytes = length <= MAX_SHORT_LENGTH ? 0 : 2;
  const headerLength = 2 + lengthBytes + (masked ? MASK_LENGTH : 0);
  const frame = Buffer.allocUnsafe(headerLength + length);
  frame[0] = FIN_BINARY;
  const maskBit = masked ? MASK_BIT : 0;
  if (lengthBytes === 0) {
    frame[1] = maskBit | length;
  } else {
    frame[1] = maskBit | LENGTH_16;
    frame.writeUInt16BE(length, 2);
  }
  if (!masked) {
    frame.set(payload, headerLength);
    return frame;
  }
  const keyAt = headerLength - MASK_LENGTH;
  writeMaskKey(frame, keyAt);
  for (let i = 0; i < length; i++) frame[headerLength + i] = payload[i]! ^ frame[keyAt + (i & 3)]!;
  return frame;
}

function writeMaskKey(frame: Buffer, at: number): void {
  if (maskPool === undefined || maskAt === MASK_POOL_SIZE) {
    maskPool = randomFillSync(maskPool ?? Buffer.allocUnsafe(MASK_POOL_SIZE));
    maskAt = 0;
  }
  for (let i = 0; i < MASK_LENGTH; i++) frame[at + i] = maskPool[maskAt++]!;
}
