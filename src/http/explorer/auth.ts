/**
 * Who may read the Explorer. On a loopback bind (127.0.0.1, ::1, localhost) anyone on the machine
 * may; anywhere else every route needs the key, the WebSocket upgrade included:
 *   - the `X-Api-Key` header (scripts, the page's own fetches may use it too);
 *   - `?key=` on the page (`GET /`) and on `/ws`, because a browser cannot set headers there;
 *   - a cookie the page sets when it is opened with a valid `?key=`, so the page's modules,
 *     assets and API calls (which a browser loads without our headers) are authorised as well.
 *     The cookie holds a digest of the key, not the key; HttpOnly, SameSite=Strict.
 * Keys are compared as SHA-256 digests in constant time (access.ts `apiKeyMatches`).
 *
 * Two checks hold on every bind: a WebSocket upgrade from another origin is refused (browsers
 * apply no same-origin rule to WebSockets, so any web page could otherwise read the stream), and
 * on a loopback bind the Host must be a loopback name (a DNS-rebound name would pass the origin
 * check).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import { ConnectorError } from '../../utils/errors.js';
import { isLoopbackHost } from '../../utils/net.js';
import { apiKeyMatches } from '../access.js';

export const KEY_COOKIE = 'explorer_key';
/** Routes a browser opens by URL, where `?key=` is accepted. */
const KEY_IN_URL_PATHS: ReadonlySet<string> = new Set(['/', '/ws']);

/** The host part of a Host header or URL authority: `[::1]:3001` → `[::1]`, `a.b:80` → `a.b`. */
function hostName(authority: string): string {
  if (authority.startsWith('[')) return authority.slice(0, authority.indexOf(']') + 1);
  const colon = authority.lastIndexOf(':');
  return colon === -1 ? authority : authority.slice(0, colon);
}

export function cookieValue(apiKey: string): string {
  return createHash('sha256').update(`explorer-cookie:${apiKey}`, 'utf8').digest('hex');
}

function cookieMatches(expected: string, header: string | undefined): boolean {
  if (header === undefined) return false;
  for (const part of header.split(';')) {
    const [name, value] = part.trim().split('=');
    if (name !== KEY_COOKIE || value === undefined || value.length !== expected.length) continue;
    if (timingSafeEqual(Buffer.from(value), Buffer.from(expected))) return true;
  }
  return false;
}

function queryKey(request: FastifyRequest): string | undefined {
  const key = (request.query as Record<string, unknown> | undefined)?.key;
  return typeof key === 'string' ? key : undefined;
}

function deny(reply: FastifyReply, status: 401 | 403, message: string): void {
  reply.code(status).send({ error: status === 401 ? 'Unauthorized' : 'Forbidden', message });
}

/**
 * The onRequest hook; the page opened with a valid `?key=` also gets the cookie. Throws when the
 * bind needs a key and none is set: the server must not start open.
 */
export function createExplorerAuth(host: string, apiKey: string | undefined): onRequestHookHandler {
  const loopback = isLoopbackHost(host);
  if (!loopback && (apiKey === undefined || apiKey === ''))
    throw new ConnectorError(
      'ERR_CONFIG_INVALID',
      `explorer.host ${host} is not loopback: set explorer.apiKey (EXPLORER_API_KEY) or the admin API key, ` +
        'or bind the explorer to 127.0.0.1',
    );
  const cookie = apiKey === undefined ? undefined : cookieValue(apiKey);
  return (request, reply, done) => {
    const path = request.url.split('?')[0] ?? '';
    const origin = request.headers.origin;
    const authority = request.headers.host ?? '';
    if (path === '/ws' && origin !== undefined && originAuthority(origin) !== authority.toLowerCase())
      return deny(reply, 403, 'WebSocket from another origin');
    if (loopback && !isLoopbackHost(hostName(authority)))
      return deny(reply, 403, 'the explorer is bound to loopback: use a loopback host name');
    if (loopback || apiKey === undefined || cookie === undefined) return done();
    const header = request.headers['x-api-key'];
    const fromUrl = KEY_IN_URL_PATHS.has(path) ? queryKey(request) : undefined;
    const urlOk = fromUrl !== undefined && apiKeyMatches(apiKey, fromUrl);
    const ok =
      urlOk ||
      (typeof header === 'string' && apiKeyMatches(apiKey, header)) ||
      cookieMatches(cookie, request.headers.cookie);
    if (!ok)
      return deny(reply, 401, 'missing or invalid API key (X-Api-Key header, or ?key= on the page and /ws)');
    if (path === '/' && urlOk)
      reply.header('set-cookie', `${KEY_COOKIE}=${cookie}; HttpOnly; SameSite=Strict; Path=/`);
    done();
  };
}

function originAuthority(origin: string): string | undefined {
  try {
    return new URL(origin).host.toLowerCase();
  } catch {
    return undefined;
  }
}
