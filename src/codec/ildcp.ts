/**
 * IL-DCP (RFC 31): a child asks its parent for its address with a Prepare to `peer.config`;
 * the Fulfill's data is VarOctetString(address) ‖ UInt8(assetScale) ‖ VarOctetString(assetCode UTF-8).
 */
import { createHash } from 'node:crypto';
import { CodecError } from '../utils/errors.js';
import { isValidAddress, MAX_ADDRESS_LENGTH } from './address.js';
import { decodeAscii, decodeUtf8, lengthOfLength, Reader, utf8Encoder, Writer } from './oer.js';

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
  if (!isValidAddress(res.clientAddress)) throw new CodecError(`invalid IL-DCP client address "${res.clientAddress}"`);
  if (!Number.isInteger(res.assetScale) || res.assetScale < 0 || res.assetScale > 255) {
    throw new CodecError(`invalid asset scale ${res.assetScale}`);
  }
  const code = utf8Encoder.encode(res.assetCode);
  if (code.length > MAX_ASSET_CODE_LENGTH) throw new CodecError('asset code too long');
  const a = res.clientAddress.length;
  const w = new Writer(lengthOfLength(a) + a + 1 + lengthOfLength(code.length) + code.length);
  w.writeLength(a);
  w.writeAscii(res.clientAddress);
  w.writeUInt8(res.assetScale);
  w.writeVarOctetString(code);
  return w.finish();
}

export function decodeIldcpResponse(bytes: Uint8Array): IldcpResponse {
  const r = new Reader(bytes);
  const at = r.offset;
  const clientAddress = decodeAscii(r.readVarOctetString(MAX_ADDRESS_LENGTH), 'IL-DCP address', at);
  if (!isValidAddress(clientAddress)) throw new CodecError(`IL-DCP address "${clientAddress}" is not valid`, at);
  const assetScale = r.readUInt8();
  const codeAt = r.offset;
  const assetCode = decodeUtf8(r.readVarOctetString(MAX_ASSET_CODE_LENGTH), 'IL-DCP asset code', codeAt);
  r.done('IL-DCP response');
  return { clientAddress, assetScale, assetCode };
}
