/**
 * ILPv4 packets (RFC 27 §"Packet Format") in OER (RFC 30): Prepare (12), Fulfill (13),
 * Reject (14), each wrapped as type UInt8 ‖ VarOctetString(content). This file holds the types,
 * the encoders and `patchPrepare`; ilp-decode.ts the strict decoders.
 */
import { CodecError } from '../utils/errors.js';
import { isValidAddress } from './address.js';
import {
  allocate,
  isPrintableAscii,
  lengthOfLength,
  MAX_UINT64,
  quote,
  utf8Length,
  Writer,
  writeUInt64At,
} from './oer.js';
import { ILP_TIMESTAMP_LENGTH, writeIlpTimestamp } from './time.js';

export const ILP_TYPE = { prepare: 12, fulfill: 13, reject: 14 } as const;
/** SIZE bounds of the ILPv4 ASN.1 (asn1/InterledgerProtocol.asn): data 0..32767, message 0..8191 bytes. */
export const MAX_DATA_LENGTH = 32767;
export const MAX_MESSAGE_LENGTH = 8191;
/** UInt256 condition and fulfillment, UInt64 amount, IA5String (SIZE (3)) code (RFC 27). */
export const CONDITION_LENGTH = 32;
export const FULFILLMENT_LENGTH = 32;
export const AMOUNT_LENGTH = 8;
export const REJECT_CODE_LENGTH = 3;

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
  if (data.length > MAX_DATA_LENGTH)
    throw new CodecError(`data of ${data.length} bytes exceeds ${MAX_DATA_LENGTH}`);
}

export function encodePrepare(p: Omit<IlpPrepare, 'type'> & { type?: 12 }): Uint8Array {
  if (!isValidAddress(p.destination)) throw new CodecError(`invalid ILP address ${quote(p.destination)}`);
  if (p.executionCondition.length !== CONDITION_LENGTH)
    throw new CodecError('executionCondition must be 32 bytes');
  if (p.amount < 0n || p.amount > MAX_UINT64) throw new CodecError(`amount out of UInt64 range: ${p.amount}`);
  checkData(p.data);
  const dest = p.destination.length;
  const content =
    AMOUNT_LENGTH +
    ILP_TIMESTAMP_LENGTH +
    CONDITION_LENGTH +
    lengthOfLength(dest) +
    dest +
    lengthOfLength(p.data.length) +
    p.data.length;
  const w = new Writer(envelopeSize(content));
  w.writeUInt8(ILP_TYPE.prepare);
  w.writeLength(content);
  w.writeUInt64(p.amount);
  writeIlpTimestamp(p.expiresAt.getTime(), w.bytes, w.offset);
  w.offset += ILP_TIMESTAMP_LENGTH;
  w.writeOctetString(p.executionCondition);
  w.writeVarAscii(p.destination);
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
  if (p.code.length !== REJECT_CODE_LENGTH || !isPrintableAscii(p.code)) {
    throw new CodecError(`reject code must be 3 ASCII characters, got ${JSON.stringify(p.code)}`);
  }
  if (p.triggeredBy !== '' && !isValidAddress(p.triggeredBy)) {
    throw new CodecError(`invalid triggeredBy address ${quote(p.triggeredBy)}`);
  }
  const messageLength = utf8Length(p.message);
  if (messageLength > MAX_MESSAGE_LENGTH)
    throw new CodecError(`message of ${messageLength} bytes exceeds ${MAX_MESSAGE_LENGTH}`);
  checkData(p.data);
  const by = p.triggeredBy.length;
  const content =
    REJECT_CODE_LENGTH +
    lengthOfLength(by) +
    by +
    lengthOfLength(messageLength) +
    messageLength +
    lengthOfLength(p.data.length) +
    p.data.length;
  const w = new Writer(envelopeSize(content));
  w.writeUInt8(ILP_TYPE.reject);
  w.writeLength(content);
  w.writeAscii(p.code);
  w.writeVarAscii(p.triggeredBy);
  w.writeVarUtf8(p.message, messageLength);
  w.writeVarOctetString(p.data);
  return w.finish();
}

export function encodeIlpPacket(p: IlpPacket): Uint8Array {
  if (p.type === ILP_TYPE.prepare) return encodePrepare(p);
  if (p.type === ILP_TYPE.fulfill) return encodeFulfill(p);
  return encodeReject(p);
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
  const out = allocate(bytes.length);
  out.set(bytes);
  writeIlpTimestamp(expiresAtMs, out, at + AMOUNT_LENGTH);
  writeUInt64At(out, at, amount);
  return out;
}

export { EMPTY as EMPTY_BYTES };
