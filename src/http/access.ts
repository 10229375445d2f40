/**
 * Access control for the admin API (DESIGN §8): an IP allowlist with CIDR, X-Forwarded-For only
 * when the operator says a proxy is in front, and an `X-Api-Key` compared in constant time.
 * The hook reads the socket and the header itself, so its behaviour depends on `AccessOptions`
 * alone and not on how the fastify instance was built.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { BlockList, isIP } from 'node:net';
import type { onRequestHookHandler } from 'fastify';
import { ipOrCidrField } from '../config/fields.js';
import { ConnectorError } from '../utils/errors.js';

export interface AccessOptions {
  /** config `adminApi.apiKey` / env `ADMIN_API_KEY`. */
  apiKey?: string;
  /** IPv4, IPv6, or CIDR of either: config `adminApi.allowedIPs` / env `ADMIN_API_ALLOWED_IPS`. */
  allowedIPs?: readonly string[];
  /** env `ADMIN_API_TRUST_PROXY`: take the client address from X-Forwarded-For. */
  trustProxy: boolean;
}

const MAPPED_V4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/** `::ffff:1.2.3.4` is how a dual-stack socket reports an IPv4 peer; it is that IPv4 peer. */
function normalizeAddress(address: string): string {
  return MAPPED_V4.exec(address)?.[1] ?? address;
}

/** The same rule as the config schema, so an entry the config accepts always compiles here. */
function entryProblem(entry: string): string | undefined {
  const parsed = ipOrCidrField().safeParse(entry);
  return parsed.success ? undefined : (parsed.error.issues[0]?.message ?? 'is invalid');
}

function addEntry(list: BlockList, entry: string): void {
  const [ip = '', bits] = entry.split('/');
  const type = isIP(ip) === 4 ? 'ipv4' : 'ipv6';
  if (bits === undefined) list.addAddress(ip, type);
  else list.addSubnet(ip, Number(bits), type);
}

/**
 * Compiles the allowlist. IPv4-mapped IPv6 entries also match the plain IPv4 address, and IPv4
 * entries match mapped clients: Node's BlockList compares across the mapping.
 */
export function compileAllowList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  const bad: string[] = [];
  for (const entry of entries) {
    const problem = entryProblem(entry);
    if (problem !== undefined) {
      bad.push(`${JSON.stringify(entry)} (${problem})`);
      continue;
    }
    try {
      addEntry(list, entry);
    } catch {
      // isIP accepts a few forms (e.g. zone ids) that BlockList may still refuse.
      bad.push(`${JSON.stringify(entry)} (not accepted as an address)`);
    }
  }
  if (bad.length > 0)
    throw new ConnectorError(
      'ERR_INVALID_ARGUMENT',
      `invalid admin API allowlist entries: ${bad.join(', ')}`,
    );
  return list;
}

/**
 * The client as the proxy in front of us saw it: the RIGHT-most X-Forwarded-For entry. Proxies
 * append the address they received from, so every entry left of it may have been written by the
 * client itself (a spoofed `X-Forwarded-For: 10.0.0.1` arrives as `10.0.0.1, <real client>`).
 * A malformed right-most entry is not skipped (that would hand the choice back to the client):
 * the request then has no usable address and fails an allowlist.
 */
function forwardedClient(forwardedFor: string | string[] | undefined): string | undefined | null {
  if (forwardedFor === undefined) return undefined;
  const joined = Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor;
  const entries = joined
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  const last = entries.at(-1);
  if (last === undefined) return undefined;
  return isIP(last) !== 0 ? normalizeAddress(last) : null;
}

/** undefined: no address at all. With trustProxy, a present but malformed header gives undefined. */
export function clientAddress(
  socketAddress: string | undefined,
  forwardedFor: string | string[] | undefined,
  trustProxy: boolean,
): string | undefined {
  const forwarded = trustProxy ? forwardedClient(forwardedFor) : undefined;
  if (forwarded === null) return undefined;
  if (forwarded !== undefined) return forwarded;
  return socketAddress === undefined ? undefined : normalizeAddress(socketAddress);
}

const sha256 = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * Digests have a fixed length, so timingSafeEqual neither throws on a length mismatch nor lets
 * timing reveal how long the key is. An empty key never matches: it would be no key at all.
 */
export function apiKeyMatches(expected: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const equal = timingSafeEqual(sha256(expected), sha256(given));
  return equal && expected.length > 0;
}

function isAllowed(list: BlockList, address: string | undefined): boolean {
  if (address === undefined) return false;
  const family = isIP(address);
  if (family === 0) return false;
  return list.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * A fastify onRequest hook. The allowlist is checked first, so a caller outside it learns nothing
 * about the key. An empty allowlist means "no allowlist", as in the production check of the config.
 */
export function createAccessHook(options: AccessOptions): onRequestHookHandler {
  const { apiKey, trustProxy } = options;
  if (apiKey === '')
    throw new ConnectorError('ERR_INVALID_ARGUMENT', 'apiKey must not be empty (omit it to use no key)');
  const allowList =
    options.allowedIPs !== undefined && options.allowedIPs.length > 0
      ? compileAllowList(options.allowedIPs)
      : undefined;
  return (request, reply, done) => {
    if (allowList !== undefined) {
      const address = clientAddress(
        request.raw.socket.remoteAddress,
        request.headers['x-forwarded-for'],
        trustProxy,
      );
      if (!isAllowed(allowList, address)) {
        reply
          .code(403)
          .send({ error: 'Forbidden', message: 'client address is not in the admin API allowlist' });
        return;
      }
    }
    if (apiKey !== undefined) {
      const given = request.headers['x-api-key'];
      // A repeated header arrives as an array: ambiguous, so refused rather than guessed at.
      if (typeof given !== 'string' || !apiKeyMatches(apiKey, given)) {
        reply.code(401).send({ error: 'Unauthorized', message: 'missing or invalid X-Api-Key header' });
        return;
      }
    }
    done();
  };
}
