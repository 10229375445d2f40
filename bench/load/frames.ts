/**
 * Pre-encoded BTP frames for the load generator, built once with our codec, then patched in
 * place: the requestId at offset 1 (RFC 23: type UInt8 ‖ requestId UInt32 ‖ content) and an
 * 8-byte counter that makes every Prepare unique (ilp-connector merges identical Prepares in
 * flight). Patching a shared template is safe because a ws client masks every frame into a new
 * buffer before it is written (RFC 6455 §5.3).
 */
import { createHash } from 'node:crypto';
import {
  BTP_TYPE,
  CONTENT_TYPE,
  encodeBtpPacket,
  encodeFulfill,
  encodePrepare,
  type ProtocolData,
} from '../../src/codec/index.js';

export const BENCH_DESTINATION = 'g.receiver.bench';
/** Not zero, so that both connectors book every packet in their ledgers. */
export const BENCH_AMOUNT = 1000n;
export const EXPIRY_MS = 30_000;
/** One fixed preimage: every Prepare carries its condition, the receiver always fulfills. */
export const FULFILLMENT = Buffer.alloc(32, 0x5a);
export const CONDITION = createHash('sha256').update(FULFILLMENT).digest();
export const REQUEST_ID_OFFSET = 1;
const COUNTER_LENGTH = 8;

const ILP_NAME = Buffer.from('ilp', 'latin1');
export const ILP_TYPE_PREPARE = 12;
export const ILP_TYPE_FULFILL = 13;
export const ILP_TYPE_REJECT = 14;

function frame(type: 1 | 6, requestId: number, protocolData: ProtocolData[]): Buffer {
  return Buffer.from(encodeBtpPacket({ type, requestId, protocolData }));
}

function ilpEntry(data: Uint8Array): ProtocolData {
  return { protocolName: 'ilp', contentType: CONTENT_TYPE.octetStream, data };
}

/** RFC 23 §Authentication: auth (empty), auth_username, auth_token. */
export function authFrame(requestId: number, username: string, token: string): Buffer {
  const text = (protocolName: string, value: string): ProtocolData => ({
    protocolName,
    contentType: CONTENT_TYPE.textPlainUtf8,
    data: Buffer.from(value, 'utf8'),
  });
  return frame(BTP_TYPE.message, requestId, [
    { protocolName: 'auth', contentType: CONTENT_TYPE.octetStream, data: Buffer.alloc(0) },
    text('auth_username', username),
    text('auth_token', token),
  ]);
}

export function emptyResponse(requestId: number): Buffer {
  return frame(BTP_TYPE.response, requestId, []);
}

/** A BTP Response carrying an ILP Fulfill of FULFILLMENT; patch the requestId before sending. */
export function fulfillResponse(): Buffer {
  return frame(BTP_TYPE.response, 0, [
    ilpEntry(encodeFulfill({ fulfillment: FULFILLMENT, data: Buffer.alloc(0) })),
  ]);
}

/** A BTP Message carrying an ILP Prepare whose data is the 8-byte counter, the frame's last bytes. */
export class PrepareTemplate {
  frame: Buffer;
  private counter = 0;

  constructor(private readonly destination = BENCH_DESTINATION) {
    this.frame = this.build();
  }

  /** Re-encodes with a fresh expiry (now + 30 s); the loop calls this once a second. */
  refresh(): void {
    this.frame = this.build();
  }

  /** The template patched for one request: do not keep the buffer across sends. */
  next(requestId: number): Buffer {
    const f = this.frame;
    f.writeUInt32BE(requestId, REQUEST_ID_OFFSET);
    const n = ++this.counter;
    const at = f.length - COUNTER_LENGTH;
    f.writeUInt32BE(Math.floor(n / 0x1_0000_0000), at);
    f.writeUInt32BE(n >>> 0, at + 4);
    return f;
  }

  private build(): Buffer {
    const ilp = encodePrepare({
      amount: BENCH_AMOUNT,
      expiresAt: new Date(Date.now() + EXPIRY_MS),
      executionCondition: CONDITION,
      destination: this.destination,
      data: Buffer.alloc(COUNTER_LENGTH),
    });
    return frame(BTP_TYPE.message, 0, [ilpEntry(ilp)]);
  }
}

/** OER length prefix at `at` (RFC 30 §"Length Prefix"): [value, first byte after it], or undefined. */
function readLength(b: Buffer, at: number): [number, number] | undefined {
  const first = b[at];
  if (first === undefined) return undefined;
  if (first < 0x80) return [first, at + 1];
  const n = first & 0x7f;
  if (n === 0 || n > 4 || at + 1 + n > b.length) return undefined;
  let value = 0;
  for (let i = 0; i < n; i++) value = value * 256 + b[at + 1 + i]!;
  return [value, at + 1 + n];
}

/**
 * Offset of the ILP packet inside a BTP Message or Response (the `ilp` protocolData entry), or -1.
 * A lean walk of the envelope, with no allocation: this runs once per reply.
 */
export function ilpOffset(b: Buffer): number {
  const content = readLength(b, 5);
  if (content === undefined) return -1;
  const count = readLength(b, content[1]);
  if (count === undefined) return -1;
  // The count is a VarUInt: its length prefix gives the number of bytes of the value.
  let entries = 0;
  for (let i = 0; i < count[0]; i++) entries = entries * 256 + (b[count[1] + i] ?? 0);
  let at = count[1] + count[0];
  for (let e = 0; e < entries; e++) {
    const name = readLength(b, at);
    if (name === undefined) return -1;
    const isIlp = name[0] === 3 && b.compare(ILP_NAME, 0, 3, name[1], name[1] + 3) === 0;
    const data = readLength(b, name[1] + name[0] + 1);
    if (data === undefined) return -1;
    if (isIlp) return data[0] > 0 && data[1] < b.length ? data[1] : -1;
    at = data[1] + data[0];
  }
  return -1;
}

/** The reject code of an ILP Reject at `at` (slow path: only for the first few failures). */
export function rejectCode(b: Buffer, at: number): string {
  const len = readLength(b, at + 1);
  return len === undefined ? '???' : b.toString('latin1', len[1], len[1] + 3);
}
