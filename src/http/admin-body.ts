/**
 * How the admin API reads a request body: JSON, as mainstream clients send it by default.
 *
 * - An empty body is no body, whatever its declared type: `fetch` and axios send
 *   `content-type: application/json` on a DELETE without a body, `curl -d ''` a form type.
 * - JSON is read under `application/json` (any parameters, `charset=utf-8` included), any
 *   `application/*+json`, `text/plain` (what `fetch` declares for a string body) and
 *   `application/x-www-form-urlencoded` (what `curl -d` declares). A body under the last two that
 *   is not JSON is a 400 that says so; any other declared type is a 415.
 * - Those two types are the ones a browser may send across origins without asking first, so a
 *   request under them that carries a browser's `Origin` or `Sec-Fetch-Site` header is refused
 *   (403): a web page must not drive a loopback admin API that has no key.
 * Parsing itself is fastify's (prototype poisoning refused).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';

const JSON_TYPES = new Set(['application/json', 'text/plain', 'application/x-www-form-urlencoded']);
/** Types a browser sends cross-origin without a CORS preflight (the Fetch standard's "simple" ones). */
const BROWSER_SIMPLE_TYPES = new Set(['text/plain', 'application/x-www-form-urlencoded']);

/** An HTTP error with a status: the admin server's error handler answers it as `{error, message}`. */
class BodyError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

function mediaType(header: string | undefined): string {
  return (header ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? '';
}

function fromBrowser(req: FastifyRequest): boolean {
  return req.headers.origin !== undefined || req.headers['sec-fetch-site'] !== undefined;
}

/** Replaces fastify's parsers on `app` by one that reads every body by the rules above. */
export function acceptJsonBodies(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (req, body, done) => {
    const text = body as string;
    if (text.length === 0) return done(null, undefined);
    const type = mediaType(req.headers['content-type']);
    const json = type === '' || JSON_TYPES.has(type) || type.endsWith('+json');
    if (!json) return done(new BodyError(415, `content type ${type} is not accepted: send JSON`));
    if (BROWSER_SIMPLE_TYPES.has(type) && fromBrowser(req))
      return done(new BodyError(403, `a browser request with content type ${type} is not accepted`));
    parseJson(req, text, (err, value) => {
      if (err !== null) return done(new BodyError(400, `body is not valid JSON (${err.message})`));
      done(null, value);
    });
  });
}
