/**
 * IL-DCP (RFC 31): a child asks its parent for its address with a Prepare to `peer.config`;
 * the Fulfill's data is VarOctetString(address) ‖ UInt8(assetScale) ‖ VarOctetString(assetCode UTF-8).
 */
import { createHash } from 'node:crypto';
import { CodecError } from '../utils/errors.js';
import { isValidAddress, MAX_ADDRESS_LENGTH } from './address.js';
import { decodeUtf8At, lengthOfLength, quote, Reader, utf8Length, Writer } from './oer.js';

export const ILDCP_DESTINATION = 'peer.config';
/** The fulfillment is 32 zero bytes; the condition is its SHA-256. */
export const ILDCP_FULFILLMENT = new Uint8Array(32);
export const ILDCP_CONDITION = new Uint8Array(createHash('sha256').update(ILDCP_FULFILLMENT).digest());
const MAX_ASSET_CODE_LENGTH = 255;

export interface IldcpResponse {
  clientAddress: string;
  assetScale: number;
  assetCode: string;
}

export function encodeIldcpResponse(res: IldcpResponse): Uint8Array {
  if (!isValidAddress(res.clientAddress))
    throw new CodecError(`invalid IL-DCP client address ${quote(res.clientAddress)}`);
  if (!Number.isInteger(res.assetScale) || res.assetScale < 0 || res.assetScale > 255) {
    throw new CodecError(`invalid asset scale ${res.assetScale}`);
  }
  if (typeof res.assetCode !== 'string') throw new CodecError('asset code must be a string');
  const codeLength = utf8Length(res.assetCode);
  if (codeLength > MAX_ASSET_CODE_LENGTH)
    throw new CodecError(`asset code of ${codeLength} bytes exceeds ${MAX_ASSET_CODE_LENGTH}`);
  const a = res.clientAddress.length;
  const w = new Writer(lengthOfLength(a) + a + 1 + lengthOfLength(codeLength) + codeLength);
  w.writeVarAscii(res.clientAddress);
  w.writeUInt8(res.assetScale);
  w.writeVarUtf8(res.assetCode, codeLength);
  return w.finish();
}

/** Decodes the data of an IL-DCP Fulfill (RFC 31 §"Packet"), strictly: nothing may follow. */
export function decodeIldcpResponse(bytes: Uint8Array): IldcpResponse {
  const r = new Reader(bytes);
  const clientAddress = r.readVarLatin1(MAX_ADDRESS_LENGTH);
  if (!isValidAddress(clientAddress))
    throw new CodecError(`IL-DCP address ${quote(clientAddress)} is not valid`, 0);
  const assetScale = r.readUInt8();
  const codeAt = r.offset;
  const codeLength = r.readBoundedLength(MAX_ASSET_CODE_LENGTH);
  const codeStart = r.take(codeLength);
  const assetCode = decodeUtf8At(bytes, codeStart, codeStart + codeLength, 'IL-DCP asset code', codeAt);
  r.done('IL-DCP response');
  return { clientAddress, assetScale, assetCode };
}
