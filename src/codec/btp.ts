/**
 * BTP 2.0 (RFC 23). Envelope: type UInt8 ‖ requestId UInt32 ‖ VarOctetString(content).
 * Content: Message (6) and Response (1) carry protocolData; Transfer (7) an amount and
 * protocolData; Error (2) code, name, triggeredAt, data and protocolData. BTP 1 types 3/4/5
 * are not supported (as in ilp-plugin-btp 1.5).
 * protocolData ::= SEQUENCE OF { protocolName IA5String, contentType UInt8, data OCTET STRING }
 * with the count as an OER VarUInt.
 */
import { CodecError } from '../utils/errors.js';
import { decodeAscii, decodeUtf8, lengthOfLength, MAX_UINT64, Reader, utf8Encoder, varUIntByteLength, Writer } from './oer.js';
import { readGeneralizedTime, writeGeneralizedTime } from './time.js';

export const BTP_TYPE = { response: 1, error: 2, message: 6, transfer: 7 } as const;
export const CONTENT_TYPE = { octetStream: 0, textPlainUtf8: 1, json: 2 } as const;
/** Bound on entries per packet: real traffic carries 1-3 (ilp, auth triple). */
export const MAX_PROTOCOL_DATA_ENTRIES = 256;
export const MAX_PROTOCOL_NAME_LENGTH = 255;

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

const nameCache = new Map<string, Uint8Array>();
function nameBytes(name: string): Uint8Array {
  let bytes = nameCache.get(name);
  if (bytes === undefined) {
    if (!/^[\x20-\x7e]*$/.test(name) || name.length > MAX_PROTOCOL_NAME_LENGTH) {
      throw new CodecError(`invalid BTP protocol name "${name}"`);
    }
    bytes = Buffer.from(name, 'latin1');
    if (nameCache.size < 64) nameCache.set(name, bytes);
  }
  return bytes;
}

function protocolDataSize(entries: readonly ProtocolData[]): number {
  let size = 1 + varUIntByteLength(BigInt(entries.length));
  for (const e of entries) {
    const n = nameBytes(e.protocolName).length;
    size += lengthOfLength(n) + n + 1 + lengthOfLength(e.data.length) + e.data.length;
  }
  return size;
}

function writeProtocolData(w: Writer, entries: readonly ProtocolData[]): void {
  w.writeVarUInt(BigInt(entries.length));
  for (const e of entries) {
    if (!Number.isInteger(e.contentType) || e.contentType < 0 || e.contentType > 255) {
      throw new CodecError(`invalid BTP content type ${e.contentType}`);
    }
    w.writeVarOctetString(nameBytes(e.protocolName));
    w.writeUInt8(e.contentType);
    w.writeVarOctetString(e.data);
  }
}

function readProtocolData(r: Reader): ProtocolData[] {
  const count = r.readVarUIntNumber(MAX_PROTOCOL_DATA_ENTRIES);
  const entries: ProtocolData[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const at = r.offset;
    const protocolName = decodeAscii(r.readVarOctetString(MAX_PROTOCOL_NAME_LENGTH), 'protocol name', at);
    const contentType = r.readUInt8();
    const data = r.readVarOctetString();
    entries[i] = { protocolName, contentType, data };
  }
  return entries;
}

function checkRequestId(id: number): void {
  if (!Number.isInteger(id) || id < 0 || id > 0xffff_ffff) throw new CodecError(`invalid BTP requestId ${id}`);
}

export function encodeBtpPacket(p: BtpPacket): Uint8Array {
  checkRequestId(p.requestId);
  let content = protocolDataSize(p.protocolData);
  let errorFields: { name: Uint8Array; at: Uint8Array; data: Uint8Array } | undefined;
  if (p.type === BTP_TYPE.transfer) {
    if (p.amount < 0n || p.amount > MAX_UINT64) throw new CodecError(`BTP transfer amount out of range: ${p.amount}`);
    content += 8;
  } else if (p.type === BTP_TYPE.error) {
    if (!/^[\x20-\x7e]{3}$/.test(p.code)) throw new CodecError(`BTP error code must be 3 ASCII characters, got "${p.code}"`);
    if (!/^[\x20-\x7e]*$/.test(p.name)) throw new CodecError('BTP error name must be ASCII');
    errorFields = {
      name: Buffer.from(p.name, 'latin1'),
      at: Buffer.from(writeGeneralizedTime(p.triggeredAt), 'latin1'),
      data: utf8Encoder.encode(p.data),
    };
    const { name, at, data } = errorFields;
    content += 3 + lengthOfLength(name.length) + name.length + lengthOfLength(at.length) + at.length;
    content += lengthOfLength(data.length) + data.length;
  } else if (p.type !== BTP_TYPE.message && p.type !== BTP_TYPE.response) {
    throw new CodecError(`unsupported BTP packet type ${(p as { type: number }).type}`);
  }
  const w = new Writer(5 + lengthOfLength(content) + content);
  w.writeUInt8(p.type);
  w.writeUInt32(p.requestId);
  w.writeLength(content);
  if (p.type === BTP_TYPE.transfer) w.writeUInt64(p.amount);
  if (p.type === BTP_TYPE.error && errorFields) {
    w.writeAscii(p.code);
    w.writeVarOctetString(errorFields.name);
    w.writeVarOctetString(errorFields.at);
    w.writeVarOctetString(errorFields.data);
  }
  writeProtocolData(w, p.protocolData);
  return w.finish();
}

export function decodeBtpPacket(bytes: Uint8Array): BtpPacket {
  const outer = new Reader(bytes);
  const type = outer.readUInt8();
  const requestId = outer.readUInt32();
  const r = outer.readVarOctetReader();
  outer.done('BTP envelope');
  let packet: BtpPacket;
  switch (type) {
    case BTP_TYPE.message:
    case BTP_TYPE.response:
      packet = { type, requestId, protocolData: readProtocolData(r) };
      break;
    case BTP_TYPE.transfer: {
      const amount = r.readUInt64();
      packet = { type, requestId, amount, protocolData: readProtocolData(r) };
      break;
    }
    case BTP_TYPE.error: {
      const codeAt = r.offset;
      const code = decodeAscii(r.readOctetString(3), 'BTP error code', codeAt);
      const nameAt = r.offset;
      const name = decodeAscii(r.readVarOctetString(), 'BTP error name', nameAt);
      const timeAt = r.offset;
      const triggeredAt = readGeneralizedTime(decodeAscii(r.readVarOctetString(64), 'triggeredAt', timeAt), timeAt);
      const dataAt = r.offset;
      const data = decodeUtf8(r.readVarOctetString(), 'BTP error data', dataAt);
      packet = { type, requestId, code, name, triggeredAt, data, protocolData: readProtocolData(r) };
      break;
    }
    default:
      throw new CodecError(`unsupported BTP packet type ${type}`, 0);
  }
  r.done('BTP packet');
  return packet;
}

/** Reads just the type and requestId, for answering a frame whose body does not decode. */
export function peekBtpHeader(bytes: Uint8Array): { type: number; requestId: number } | undefined {
  if (bytes.length < 5) return undefined;
  const r = new Reader(bytes);
  return { type: r.readUInt8(), requestId: r.readUInt32() };
}
