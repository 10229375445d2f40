/**
 * The settlement address of a KMS key, from the public key the KMS hands out: SubjectPublicKeyInfo
 * (DER from AWS, PEM from Google) or a JWK (Azure). node:crypto parses all three and names the
 * curve, so a key of the wrong type or curve is refused here, at start, with a clear error.
 */
import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { type Address, bytesToHex } from 'viem';
import { publicKeyToAddress } from 'viem/accounts';
import { ConnectorError } from '../../utils/errors.js';

/** What each KMS calls the curve settlement needs (node:crypto says `secp256k1`). */
const JWK_CURVE_ALIASES: Readonly<Record<string, string>> = { 'P-256K': 'secp256k1', secp256k1: 'secp256k1' };

function wrongKey(what: string, found: string): never {
  throw new ConnectorError(
    'ERR_KMS_KEY',
    `${what} is ${found}, not a secp256k1 EC key: settlement signs with Ethereum's curve (docs/keys.md)`,
  );
}

function parse(make: () => KeyObject, what: string): KeyObject {
  try {
    return make();
  } catch {
    throw new ConnectorError('ERR_KMS_KEY', `${what} could not be parsed as a public key`);
  }
}

function base64UrlBytes(text: string | undefined, what: string): Uint8Array {
  const bytes = text === undefined ? undefined : Buffer.from(text, 'base64url');
  if (bytes?.length !== 32) throw new ConnectorError('ERR_KMS_KEY', `${what} coordinate is not 32 bytes`);
  return bytes;
}

export function addressOfKeyObject(key: KeyObject, what: string): Address {
  if (key.type !== 'public') wrongKey(what, `a ${key.type} key`);
  if (key.asymmetricKeyType !== 'ec') wrongKey(what, `a ${key.asymmetricKeyType ?? 'unknown'} key`);
  const curve = key.asymmetricKeyDetails?.namedCurve ?? 'unknown';
  if (curve !== 'secp256k1') wrongKey(what, `an EC key on curve ${curve}`);
  const jwk = key.export({ format: 'jwk' });
  const point = new Uint8Array(65);
  point[0] = 0x04;
  point.set(base64UrlBytes(jwk.x, what), 1);
  point.set(base64UrlBytes(jwk.y, what), 33);
  return publicKeyToAddress(bytesToHex(point));
}

/** SubjectPublicKeyInfo, DER bytes or PEM text. */
export function addressOfSpki(spki: Uint8Array | string, what: string): Address {
  const key = parse(
    () =>
      typeof spki === 'string'
        ? createPublicKey({ key: spki, format: 'pem' })
        : createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }),
    what,
  );
  return addressOfKeyObject(key, what);
}

/** A public JWK (RFC 7517/7518 §6.2); Azure names the curve `P-256K`. */
export function addressOfJwk(
  jwk: { kty?: string | undefined; crv?: string | undefined; x?: string | undefined; y?: string | undefined },
  what: string,
): Address {
  if (jwk.kty !== 'EC' && jwk.kty !== 'EC-HSM') wrongKey(what, `a ${jwk.kty ?? 'typeless'} key`);
  const crv = JWK_CURVE_ALIASES[jwk.crv ?? ''];
  if (crv === undefined) wrongKey(what, `an EC key on curve ${jwk.crv ?? 'unknown'}`);
  const key = parse(
    () =>
      createPublicKey({
        key: { kty: 'EC', crv, x: jwk.x, y: jwk.y } as JsonWebKey,
        format: 'jwk',
      }),
    what,
  );
  return addressOfKeyObject(key, what);
}
