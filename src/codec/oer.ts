/**
 * Octet Encoding Rules as profiled by Interledger (RFC 30), in three files: reader.ts (strict,
 * canonical decoding into views), writer.ts (measure, allocate once, write) and text.ts
 * (IA5String and UTF8String fields). This module gathers their names for the packet codecs.
 */
export { Reader } from './reader.js';
export {
  decodeAscii,
  decodeAsciiAt,
  decodeUtf8,
  decodeUtf8At,
  isPrintableAscii,
  latin1,
  quote,
  sameText,
  utf8Encoder,
  utf8Length,
} from './text.js';
export {
  allocate,
  lengthOfLength,
  MAX_UINT64,
  uintByteLength,
  varUIntByteLength,
  Writer,
  writeUInt64At,
} from './writer.js';
