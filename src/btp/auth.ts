/**
 * BTP authentication (RFC 23 §Authentication): the first frame on a socket is a Message whose
 * primary protocolData entry is `auth` (empty), with `auth_username` and `auth_token`
 * (text/plain; charset=utf-8) among the secondary entries.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { BTP_TYPE, type BtpPacket, CONTENT_TYPE, type ProtocolData } from '../codec/btp.js';
import type { BtpPeer } from './types.js';

export const AUTH_PROTOCOL = 'auth';
export const AUTH_USERNAME_PROTOCOL = 'auth_username';
export const AUTH_TOKEN_PROTOCOL = 'auth_token';

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The protocolData of the dialing side's auth Message. */
export function authProtocolData(username: string, token: string): ProtocolData[] {
  return [
    { protocolName: AUTH_PROTOCOL, contentType: CONTENT_TYPE.octetStream, data: new Uint8Array(0) },
    {
      protocolName: AUTH_USERNAME_PROTOCOL,
      contentType: CONTENT_TYPE.textPlainUtf8,
      data: utf8.encode(username),
    },
    { protocolName: AUTH_TOKEN_PROTOCOL, contentType: CONTENT_TYPE.textPlainUtf8, data: utf8.encode(token) },
  ];
}

export interface AuthClaim {
  username: string;
  token: Uint8Array;
}

/** The claim of an auth frame, or why the frame is not one. */
export function readAuthClaim(packet: BtpPacket): AuthClaim | string {
  if (packet.type !== BTP_TYPE.message) return 'first frame must be a BTP auth Message';
  const entries = packet.protocolData;
  const primary = entries[0];
  if (primary?.protocolName !== AUTH_PROTOCOL) return 'first protocolData entry must be auth';
  if (primary.data.length !== 0) return 'auth entry must be empty';
  const username = entries.find((e) => e.protocolName === AUTH_USERNAME_PROTOCOL);
  const token = entries.find((e) => e.protocolName === AUTH_TOKEN_PROTOCOL);
  if (token === undefined) return 'auth_token is required';
  if (username === undefined) return 'auth_username is required';
  try {
    return { username: strictUtf8.decode(username.data), token: token.data };
  } catch {
    return 'auth_username must be UTF-8';
  }
}

export interface AuthPolicy {
  allowNoAuth: boolean;
  secretFor: (peerId: string) => string | undefined;
}

/**
 * Checks a claimed token for a registered peer against `secretFor(id) ?? authToken`. An empty
 * expected secret admits any token only while `allowNoAuth`. Returns undefined when accepted,
 * else the reason (for our log, not for the peer).
 */
export function checkToken(peer: BtpPeer, token: Uint8Array, policy: AuthPolicy): string | undefined {
  const expected = policy.secretFor(peer.id) ?? peer.authToken;
  if (expected === '')
    return policy.allowNoAuth ? undefined : 'peer has no secret and BTP_ALLOW_NOAUTH is false';
  return tokenMatches(expected, token) ? undefined : 'wrong auth_token';
}

/** Constant-time in the token's content: compares equal-length SHA-256 digests. */
export function tokenMatches(expected: string, got: Uint8Array): boolean {
  const a = createHash('sha256').update(expected, 'utf8').digest();
  const b = createHash('sha256').update(got).digest();
  return timingSafeEqual(a, b);
}
