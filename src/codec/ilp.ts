/**
 * ILPv4 packets (RFC 27) in OER (RFC 30): Prepare (12), Fulfill (13), Reject (14).
 * Envelope: type UInt8 ‖ VarOctetString(content). Decoding is strict and canonical and returns
 * views into the input; forwarding patches amount and expiry in a copy (`patchPrepare`).
 */
import { CodecError } from '../utils/errors.js';
import { isValidAddress, MAX_ADDRESS_LENGTH } from './address.js';
import { decodeAscii, decodeUtf8, lengthOfLength, MAX_UINT64, Reader, utf8Encoder, Writer } from './oer.js';
import { ILP_TIMESTAMP_LENGTH, readIlpTimestamp, writeIlpTimestamp } from './time.js';

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

/** Opens the envelope: checks the type byte and that the content length covers the rest exactly. */
function openEnvelope(bytes: Uint8Array, expectedType: number, name: string): Reader {
  const r = new Reader(bytes);
  const type = r.readUInt8();
  if (type !== expectedType) throw new CodecError(`expected ILP ${name} (type ${expectedType}), got type ${type}`, 0);
  const content = r.readVarOctetReader();
  r.done(`ILP ${name} envelope`);
  return content;
}

function readAddress(r: Reader, what: string, allowEmpty: boolean): string {
  const at = r.offset;
  const raw = r.readVarOctetString(MAX_ADDRESS_LENGTH);
  if (allowEmpty && raw.length === 0) return '';
  const address = decodeAscii(raw, what, at);
  if (!isValidAddress(address)) throw new CodecError(`${what} "${address}" is not a valid ILP address`, at);
  return address;
}

export function decodePrepare(bytes: Uint8Array): IlpPrepare {
  const r = openEnvelope(bytes, ILP_TYPE.prepare, 'Prepare');
  const amount = r.readUInt64();
  const at = r.offset;
  const expiresAt = new Date(readIlpTimestamp(r.readOctetString(ILP_TIMESTAMP_LENGTH), at));
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
 * Forwarding without re-encoding: copies a valid Prepare and overwrites its fixed-width amount
 * and expiry. The amount sits right after the envelope header, the expiry right after it.
 */
export function patchPrepare(bytes: Uint8Array, amount: bigint, expiresAtMs: number): Uint8Array {
  if (amount < 0n || amount > MAX_UINT64) throw new CodecError(`amount out of UInt64 range: ${amount}`);
  const out = new Uint8Array(bytes);
  const first = out[1]!;
  const at = first < 0x80 ? 2 : 2 + (first & 0x7f);
  const hi = Number(amount >> 32n);
  const lo = Number(amount & 0xffff_ffffn);
  out[at] = hi >>> 24;
  out[at + 1] = (hi >>> 16) & 0xff;
  out[at + 2] = (hi >>> 8) & 0xff;
  out[at + 3] = hi & 0xff;
  out[at + 4] = lo >>> 24;
  out[at + 5] = (lo >>> 16) & 0xff;
  out[at + 6] = (lo >>> 8) & 0xff;
  out[at + 7] = lo & 0xff;
  writeIlpTimestamp(expiresAtMs, out, at + AMOUNT_LENGTH);
  return out;
}

export { EMPTY as EMPTY_BYTES };
