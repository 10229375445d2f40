/**
 * CRC32C (Castagnoli, reflected polynomial 0x82F63B78; RFC 3720 §B.4), which Google Cloud KMS
 * uses for end-to-end integrity of requests and responses. No CRC32C package is installed and
 * node:zlib only has CRC-32 (IEEE); `@aws-crypto/crc32c` is the library to use once it is a
 * dependency. Until then this table-driven form, checked against RFC 3720's vectors.
 */
const POLYNOMIAL = 0x82f63b78;

const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLYNOMIAL : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
