/**
 * ILPv4 packets (RFC 27) in OER (RFC 30): Prepare (12), Fulfill (13), Reject (14).
 * Envelope: type UInt8 ‖ VarOctetString(content). Decoding is strict and canonical and returns
 * views into the input; forwarding patches amount and expiry in a copy (`patchPrepare`).
 */
import { CodecError } from '../utils/errors.js';
import { isValidAddress, MAX_ADDRESS_LENGTH } from './address.js';
import {
  decodeAscii,
  decodeUtf8,
  lengthOfLength,
  MAX_UINT64,
  Reader,
  utf8Encoder,
  Writer,
  writeUInt64At,
} from './oer.js';
import { ILP_TIMESTAMP_LENGTH, readIlpTimestampAt, writeIlpTimestamp } from './time.js';

export const ILP_TYPE = { prepare: 12, fulfill: 13, reject: 14 } as const;
export const MAX_DATA_LENGTH = 32767;
export const MAX_MESSAGE_LENGTH = 8191;
export const CONDITION_LENGTH = 32;
export const FULFILLMENT_LENGTH = 32;
const AMOUNT_LENGTH = 8;

export interface IlpPrepare {
  readonly type: 12;
  amount: bigint;
  expiresAt: Date;
  executionCondition: Uint8Array;
  destination: string;
  data: Uint8Array;
}

export interface IlpFulfill {
  readonly type: 13;
  fulfillment: Uint8Array;
  data: Uint8Array;
}

export interface IlpReject {
  readonly type: 14;
  code: string;
  triggeredBy: string;
  message: string;
  data: Uint8Array;
}

export type IlpReply = IlpFulfill | IlpReject;
export type IlpPacket = IlpPrepare | IlpReply;

const EMPTY = new Uint8Array(0);

function envelopeSize(contentLength: number): number {
  return 1 + lengthOfLength(contentLength) + contentLength;
}

function checkData(data: Uint8Array): void {
  if (data.length > MAX_DATA_LENGTH) throw new CodecError(`data of ${data.length} bytes exceeds ${MAX_DATA_LENGTH}`);
}

export function encodePrepare(p: Omit<IlpPrepare, 'type'> & { type?: 12 }): Uint8Array {
  if (!isValidAddress(p.destination)) throw new CodecError(`invalid ILP address "${p.destination}"`);
  if (p.executionCondition.length !== CONDITION_LENGTH) throw new CodecError('executionCondition must be 32 bytes');
  if (p.amount < 0n || p.amount > MAX_UINT64) throw new CodecError(`amount out of UInt64 range: ${p.amount}`);
  checkData(p.data);
  const dest = p.destination.length;
  const content =
    AMOUNT_LENGTH + ILP_TIMESTAMP_LENGTH + CONDITION_LENGTH + lengthOfLength(dest) + dest + lengthOfLength(p.data.length) + p.data.length;
  const w = new Writer(envelopeSize(content));
  w.writeUInt8(ILP_TYPE.prepare);
  w.writeLength(content);
  w.writeUInt64(p.amount);
  writeIlpTimestamp(p.expiresAt.getTime(), w.bytes, w.offset);
  w.offset += ILP_TIMESTAMP_LENGTH;
  w.writeOctetString(p.executionCondition);
  w.writeLength(dest);
  w.writeAscii(p.destination);
  w.writeVarOctetString(p.data);
  return w.finish();
}

export function encodeFulfill(p: Omit<IlpFulfill, 'type'> & { type?: 13 }): Uint8Array {
  if (p.fulfillment.length !== FULFILLMENT_LENGTH) throw new CodecError('fulfillment must be 32 bytes');
  checkData(p.data);
  const content = FULFILLMENT_LENGTH + lengthOfLength(p.data.length) + p.data.length;
  const w = new Writer(envelopeSize(content));
  w.writeUInt8(ILP_TYPE.fulfill);
  w.writeLength(content);
  w.writeOctetString(p.fulfillment);
  w.writeVarOctetString(p.data);
  return w.finish();
}

export function encodeReject(p: Omit<IlpReject, 'type'> & { type?: 14 }): Uint8Array {
  if (!/^[\x20-\x7e]{3}$/.test(p.code)) throw new CodecError(`reject code must be 3 ASCII characters, got "${p.code}"`);
  if (p.triggeredBy !== '' && !isValidAddress(p.triggeredBy)) {
    throw new CodecError(`invalid triggeredBy address "${p.triggeredBy}"`);
  }
  const message = utf8Encoder.encode(p.message);
  if (message.length > MAX_MESSAGE_LENGTH) throw new CodecError(`message of ${message.length} bytes exceeds ${MAX_MESSAGE_LENGTH}`);
  checkData(p.data);
  const by = p.triggeredBy.length;
  const content =
    3 + lengthOfLength(by) + by + lengthOfLength(message.length) + message.length + lengthOfLength(p.data.length) + p.data.length;
  const w = new Writer(envelopeSize(content));
  w.writeUInt8(ILP_TYPE.reject);
  w.writeLength(content);
  w.writeAscii(p.code);
  w.writeLength(by);
  w.writeAscii(p.triggeredBy);
  w.writeVarOctetString(message);
  w.writeVarOctetString(p.data);
  return w.finish();
}

export function encodeIlpPacket(p: IlpPacket): Uint8Array {
  if (p.type === ILP_TYPE.prepare) return encodePrepare(p);
  if (p.type === ILP_TYPE.fulfill) return encodeFulfill(p);
  return encodeReject(p);
}

/**
 * Opens the envelope (RFC 27 §"Type-Length Wrapper"): checks the type byte and that the
 * content length covers the rest of the bytes exactly. The content is read by the same Reader.
 */
function openEnvelope(bytes: Uint8Array, expectedType: number, name: string): Reader {
  if (bytes[0] !== expectedType) {
    throw new CodecError(`expected ILP ${name} (type ${expectedType}), got type ${bytes[0] ?? '(empty)'}`, 0);
  }
  const r = new Reader(bytes, 1);
  const length = r.readLength();
  if (length > r.remaining) {
    throw new CodecError(`ILP ${name} envelope claims ${length} bytes but ${r.remaining} follow`, 1);
  }
  if (length < r.remaining) {
    throw new CodecError(`${r.remaining - length} trailing byte(s) after the ILP ${name} envelope`, r.offset + length);
  }
  return r;
}

/** An address as a string (one char per byte) checked with the RFC 15 grammar. */
function readAddress(r: Reader, what: string, allowEmpty: boolean): string {
  const at = r.offset;
  const address = r.readVarLatin1(MAX_ADDRESS_LENGTH);
  if ((allowEmpty && address.length === 0) || isValidAddress(address)) return address;
  throw new CodecError(`${what} ${JSON.stringify(address.slice(0, 64))} is not a valid ILP address`, at);
}

export function decodePrepare(bytes: Uint8Array): IlpPrepare {
  const r = openEnvelope(bytes, ILP_TYPE.prepare, 'Prepare');
  const amount = r.readUInt64();
  const expiresAt = new Date(readIlpTimestampAt(bytes, r.take(ILP_TIMESTAMP_LENGTH)));
  const executionCondition = r.readOctetString(CONDITION_LENGTH);
  const destination = readAddress(r, 'destination', false);
  const data = r.readVarOctetString(MAX_DATA_LENGTH);
  r.done('ILP Prepare');
  return { type: ILP_TYPE.prepare, amount, expiresAt, executionCondition, destination, data };
}

export function decodeFulfill(bytes: Uint8Array): IlpFulfill {
  const r = openEnvelope(bytes, ILP_TYPE.fulfill, 'Fulfill');
  const fulfillment = r.readOctetString(FULFILLMENT_LENGTH);
  const data = r.readVarOctetString(MAX_DATA_LENGTH);
  r.done('ILP Fulfill');
  return { type: ILP_TYPE.fulfill, fulfillment, data };
}

export function decodeReject(bytes: Uint8Array): IlpReject {
  const r = openEnvelope(bytes, ILP_TYPE.reject, 'Reject');
  const codeAt = r.offset;
  const code = decodeAscii(r.readOctetString(3), 'reject code', codeAt);
  const triggeredBy = readAddress(r, 'triggeredBy', true);
  const messageAt = r.offset;
  const message = decodeUtf8(r.readVarOctetString(MAX_MESSAGE_LENGTH), 'reject message', messageAt);
  const data = r.readVarOctetString(MAX_DATA_LENGTH);
  r.done('ILP Reject');
  return { type: ILP_TYPE.reject, code, triggeredBy, message, data };
}

export function decodeIlpPacket(bytes: Uint8Array): IlpPacket {
  const type = bytes[0];
  if (type === ILP_TYPE.prepare) return decodePrepare(bytes);
  if (type === ILP_TYPE.fulfill) return decodeFulfill(bytes);
  if (type === ILP_TYPE.reject) return decodeReject(bytes);
  throw new CodecError(`unknown ILP packet type ${type ?? '(empty)'}`, 0);
}

/** Decodes a Fulfill or Reject (the answer to a Prepare). */
export function decodeIlpReply(bytes: Uint8Array): IlpReply {
  const type = bytes[0];
  if (type === ILP_TYPE.fulfill) return decodeFulfill(bytes);
  if (type === ILP_TYPE.reject) return decodeReject(bytes);
  throw new CodecError(`expected ILP Fulfill or Reject, got type ${type ?? '(empty)'}`, 0);
}

/**
 * Forwarding without re-encoding (RFC 27 §"ILP Prepare": amount and expiresAt are fixed-width
 * so connectors can modify them in place): copies a Prepare and overwrites its amount, which
 * sits right after the envelope header, and the expiry right after it. `bytes` must be a
 * Prepare that decoded; the header is checked again because a wrong offset would corrupt.
 */
export function patchPrepare(bytes: Uint8Array, amount: bigint, expiresAtMs: number): Uint8Array {
  if (amount < 0n || amount > MAX_UINT64) throw new CodecError(`amount out of UInt64 range: ${amount}`);
  const first = bytes[1];
  const at = first === undefined || first < 0x80 ? 2 : 2 + (first & 0x7f);
  if (bytes[0] !== ILP_TYPE.prepare || bytes.length < at + AMOUNT_LENGTH + ILP_TIMESTAMP_LENGTH) {
    throw new CodecError('patchPrepare needs an encoded ILP Prepare', 0);
  }
  const out = new Uint8Array(bytes);
  writeIlpTimestamp(expiresAtMs, out, at + AMOUNT_LENGTH);
  writeUInt64At(out, at, amount);
  return out;
}

export { EMPTY as EMPTY_BYTES };
