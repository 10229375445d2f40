/**
 * BTP 2.0 (RFC 23 §"Overview" and asn1/BilateralTransferProtocol.asn), in OER (RFC 30).
 * Envelope: type UInt8 ‖ requestId UInt32 ‖ VarOctetString(content), nothing after it.
 * Content: Message (6) and Response (1) carry protocolData; Transfer (7, btp-packet's
 * extension) an amount and protocolData; Error (2) code, name, triggeredAt, data, protocolData.
 * BTP 1 types 3/4/5 (Prepare/Fulfill/Reject) are refused, as ilp-plugin-btp 1.5 does.
 *   ProtocolData ::= SEQUENCE OF SEQUENCE { protocolName IA5String, contentType UInt8,
 *                                           data OCTET STRING }
 * with the SEQUENCE OF count as a VarUInt. Decoders are strict and throw only CodecError.
 */
import { CodecError } from '../utils/errors.js';
import {
  decodeAsciiAt,
  decodeUtf8At,
  isPrintableAscii,
  lengthOfLength,
  MAX_UINT64,
  Reader,
  sameText,
  uintByteLength,
  utf8Length,
  Writer,
} from './oer.js';
import { failTruncated, readFieldLengthAt, readLengthAt, readVarUIntNumberAt } from './reader.js';
import { MAX_GENERALIZED_TIME_LENGTH, readGeneralizedTime, writeGeneralizedTime } from './time.js';

export const BTP_TYPE = { response: 1, error: 2, message: 6, transfer: 7 } as const;
export const CONTENT_TYPE = { octetStream: 0, textPlainUtf8: 1, json: 2 } as const;
/** Bound on entries per packet: real traffic carries 1-3 (ilp, or the auth triple). */
export const MAX_PROTOCOL_DATA_ENTRIES = 256;
/** Bounds on IA5String fields the ASN.1 leaves unbounded (protocol names, error names). */
export const MAX_PROTOCOL_NAME_LENGTH = 255;
export const MAX_BTP_ERROR_NAME_LENGTH = 255;
/** Error.data is OCTET STRING (SIZE (0..8192)) in RFC 23; we carry it as UTF-8 text. */
export const MAX_BTP_ERROR_DATA_LENGTH = 8192;
const BTP_HEADER_LENGTH = 5;
const BTP_ERROR_CODE_LENGTH = 3;

export interface ProtocolData {
  protocolName: string;
  contentType: number;
  data: Uint8Array;
}

export interface BtpMessage {
  type: 6;
  requestId: number;
  protocolData: ProtocolData[];
}
export interface BtpResponse {
  type: 1;
  requestId: number;
  protocolData: ProtocolData[];
}
export interface BtpTransfer {
  type: 7;
  requestId: number;
  amount: bigint;
  protocolData: ProtocolData[];
}
export interface BtpError {
  type: 2;
  requestId: number;
  code: string;
  name: string;
  triggeredAt: Date;
  data: string;
  protocolData: ProtocolData[];
}
export type BtpPacket = BtpMessage | BtpResponse | BtpTransfer | BtpError;

/** Encoded names of the few protocols a link uses ('ilp', 'auth', ...), validated once. */
const nameCache = new Map<string, Uint8Array>();
const NAME_CACHE_SIZE = 64;

function nameBytes(name: string): Uint8Array {
  let bytes = nameCache.get(name);
  if (bytes === undefined) {
    if (typeof name !== 'string' || name.length > MAX_PROTOCOL_NAME_LENGTH || !isPrintableAscii(name)) {
      throw new CodecError(`invalid BTP protocol name ${JSON.stringify(String(name).slice(0, 64))}`);
    }
    bytes = Buffer.from(name, 'latin1');
    if (nameCache.size < NAME_CACHE_SIZE) nameCache.set(name, bytes);
  }
  return bytes;
}

function protocolDataSize(entries: readonly ProtocolData[]): number {
  if (entries.length > MAX_PROTOCOL_DATA_ENTRIES) {
    throw new CodecError(
      `${entries.length} protocolData entries exceed the maximum ${MAX_PROTOCOL_DATA_ENTRIES}`,
    );
  }
  let size = 1 + uintByteLength(entries.length);
  for (const e of entries) {
    if (!Number.isInteger(e.contentType) || e.contentType < 0 || e.contentType > 255) {
      throw new CodecError(`invalid BTP content type ${e.contentType}`);
    }
    const n = nameBytes(e.protocolName).length;
    size += lengthOfLength(n) + n + 1 + lengthOfLength(e.data.length) + e.data.length;
  }
  return size;
}

function writeProtocolData(w: Writer, entries: readonly ProtocolData[]): void {
  w.writeVarUIntNumber(entries.length);
  for (const e of entries) {
    w.writeVarOctetString(nameBytes(e.protocolName));
    w.writeUInt8(e.contentType);
    w.writeVarOctetString(e.data);
  }
}

/** The encoded variable fields of an Error, validated (RFC 23 §"Error"). */
interface ErrorFields {
  triggeredAt: string;
  dataLength: number;
  size: number;
}

function errorFields(p: BtpError): ErrorFields {
  if (typeof p.code !== 'string' || p.code.length !== BTP_ERROR_CODE_LENGTH || !isPrintableAscii(p.code)) {
    throw new CodecError(`BTP error code must be 3 ASCII characters, got ${JSON.stringify(p.code)}`);
  }
  if (typeof p.name !== 'string' || p.name.length > MAX_BTP_ERROR_NAME_LENGTH || !isPrintableAscii(p.name)) {
    throw new CodecError(
      `BTP error name must be printable ASCII of at most ${MAX_BTP_ERROR_NAME_LENGTH} chars`,
    );
  }
  const triggeredAt = writeGeneralizedTime(p.triggeredAt);
  if (typeof p.data !== 'string') throw new CodecError('BTP error data must be a string');
  const dataLength = utf8Length(p.data);
  if (dataLength > MAX_BTP_ERROR_DATA_LENGTH) {
    throw new CodecError(`BTP error data of ${dataLength} bytes exceeds ${MAX_BTP_ERROR_DATA_LENGTH}`);
  }
  const size =
    BTP_ERROR_CODE_LENGTH +
    lengthOfLength(p.name.length) +
    p.name.length +
    lengthOfLength(triggeredAt.length) +
    triggeredAt.length +
    lengthOfLength(dataLength) +
    dataLength;
  return { triggeredAt, dataLength, size };
}

function checkRequestId(id: number): void {
  if (!Number.isInteger(id) || id < 0 || id > 0xffff_ffff)
    throw new CodecError(`invalid BTP requestId ${id}`);
}

export function encodeBtpPacket(p: BtpPacket): Uint8Array {
  checkRequestId(p.requestId);
  let content = protocolDataSize(p.protocolData);
  let error: ErrorFields | undefined;
  if (p.type === BTP_TYPE.transfer) {
    if (p.amount < 0n || p.amount > MAX_UINT64)
      throw new CodecError(`BTP transfer amount out of range: ${p.amount}`);
    content += 8;
  } else if (p.type === BTP_TYPE.error) {
    error = errorFields(p);
    content += error.size;
  } else if (p.type !== BTP_TYPE.message && p.type !== BTP_TYPE.response) {
    throw new CodecError(`unsupported BTP packet type ${(p as { type: unknown }).type}`);
  }
  const w = new Writer(BTP_HEADER_LENGTH + lengthOfLength(content) + content);
  w.writeUInt8(p.type);
  w.writeUInt32(p.requestId);
  w.writeLength(content);
  if (p.type === BTP_TYPE.transfer) w.writeUInt64(p.amount);
  if (p.type === BTP_TYPE.error && error !== undefined) {
    w.writeAscii(p.code);
    w.writeVarAscii(p.name);
    w.writeVarAscii(error.triggeredAt);
    w.writeVarUtf8(p.data, error.dataLength);
  }
  writeProtocolData(w, p.protocolData);
  return w.finish();
}

/** Printable-ASCII IA5String of at most `max` chars. */
function readPrintable(r: Reader, max: number, what: string): string {
  const length = r.readBoundedLength(max);
  const at = r.take(length);
  return decodeAsciiAt(r.bytes, at, at + length, what);
}

/**
 * Protocol names, interned: a link uses a handful ('ilp', the auth triple), and a hit costs a
 * byte compare instead of making a string (~10% of decoding a Message carrying a Prepare).
 */
const recentNames: string[] = [];
const MAX_RECENT_NAMES = 8;

function protocolNameAt(bytes: Uint8Array, at: number, length: number): string {
  for (const name of recentNames) if (sameText(name, bytes, at, length)) return name;
  const name = decodeAsciiAt(bytes, at, at + length, 'protocol name');
  if (recentNames.length === MAX_RECENT_NAMES) recentNames.pop();
  recentNames.unshift(name);
  return name;
}

/**
 * protocolData, the last field of every BTP packet, running exactly to `end`. Read against
 * offsets, as the ILP decoders are: Messages and Responses (two per forwarded packet) are
 * decoded without a Reader object.
 */
function protocolDataAt(bytes: Uint8Array, start: number, end: number): ProtocolData[] {
  const count = readVarUIntNumberAt(bytes, start, end, MAX_PROTOCOL_DATA_ENTRIES);
  let at = start + 1 + bytes[start]!;
  const { buffer, byteOffset } = bytes;
  // Sized up front: push() onto [] would allocate room for 17 entries on the first push.
  const entries: ProtocolData[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const nameLength = readFieldLengthAt(bytes, at, end, MAX_PROTOCOL_NAME_LENGTH, 'protocol name');
    at += lengthOfLength(nameLength);
    const protocolName = protocolNameAt(bytes, at, nameLength);
    at += nameLength;
    if (at >= end) failTruncated(1, at);
    const contentType = bytes[at++]!;
    // Unbounded here: the frame (maxFrameBytes) bounds it.
    const dataLength = readFieldLengthAt(bytes, at, end, Number.MAX_SAFE_INTEGER, 'protocol data');
    at += lengthOfLength(dataLength);
    entries[i] = { protocolName, contentType, data: new Uint8Array(buffer, byteOffset + at, dataLength) };
    at += dataLength;
  }
  if (at !== end) throw new CodecError(`${end - at} trailing byte(s) after the BTP packet`, at);
  return entries;
}

function readProtocolData(r: Reader): ProtocolData[] {
  const entries = protocolDataAt(r.bytes, r.offset, r.end);
  r.offset = r.end;
  return entries;
}

function readError(r: Reader, requestId: number): BtpError {
  const codeAt = r.take(BTP_ERROR_CODE_LENGTH);
  const code = decodeAsciiAt(r.bytes, codeAt, codeAt + BTP_ERROR_CODE_LENGTH, 'BTP error code');
  const name = readPrintable(r, MAX_BTP_ERROR_NAME_LENGTH, 'BTP error name');
  const timeAt = r.offset;
  const triggeredAt = readGeneralizedTime(r.readVarLatin1(MAX_GENERALIZED_TIME_LENGTH), timeAt);
  const dataAt = r.offset;
  const dataLength = r.readBoundedLength(MAX_BTP_ERROR_DATA_LENGTH);
  const dataStart = r.take(dataLength);
  const data = decodeUtf8At(r.bytes, dataStart, dataStart + dataLength, 'BTP error data', dataAt);
  return {
    type: BTP_TYPE.error,
    requestId,
    code,
    name,
    triggeredAt,
    data,
    protocolData: readProtocolData(r),
  };
}

/** Decodes one BTP frame; the content must end exactly where the frame does. */
export function decodeBtpPacket(bytes: Uint8Array): BtpPacket {
  const end = bytes.length;
  if (end < BTP_HEADER_LENGTH) failTruncated(BTP_HEADER_LENGTH - end, end);
  const type = bytes[0]!;
  const requestId = bytes[1]! * 0x100_0000 + ((bytes[2]! << 16) | (bytes[3]! << 8) | bytes[4]!);
  const length = readLengthAt(bytes, BTP_HEADER_LENGTH, end);
  const at = BTP_HEADER_LENGTH + lengthOfLength(length);
  const rest = end - at;
  if (length > rest) throw new CodecError(`BTP envelope claims ${length} bytes, ${rest} follow`, 5);
  if (length < rest)
    throw new CodecError(`${rest - length} trailing byte(s) after the BTP packet`, at + length);
  switch (type) {
    case BTP_TYPE.message:
    case BTP_TYPE.response:
      return { type, requestId, protocolData: protocolDataAt(bytes, at, end) };
    case BTP_TYPE.transfer: {
      const r = new Reader(bytes, at, end);
      const amount = r.readUInt64();
      return { type, requestId, amount, protocolData: readProtocolData(r) };
    }
    case BTP_TYPE.error:
      return readError(new Reader(bytes, at, end), requestId);
    default:
      throw new CodecError(`unsupported BTP packet type ${type}`, 0);
  }
}

/** Reads just the type and requestId, for answering a frame whose body does not decode. */
export function peekBtpHeader(bytes: Uint8Array): { type: number; requestId: number } | undefined {
  if (bytes.length < BTP_HEADER_LENGTH) return undefined;
  const r = new Reader(bytes);
  return { type: r.readUInt8(), requestId: r.readUInt32() };
}
