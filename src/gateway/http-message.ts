/**
 * HTTP/1.1 messages (RFC 9112) as ILP data for the outbound side (docs/gateway.md, "ILP to
 * HTTP"): the Prepare carries a request in absolute-form (`GET https://host/path HTTP/1.1`),
 * the Fulfill a response (`HTTP/1.1 200 OK`, headers, body). Parsing is strict and bounded.
 */
export interface HttpRequestMessage {
  readonly method: string;
  readonly url: URL;
  readonly headers: ReadonlyMap<string, string>;
  readonly body: Uint8Array;
}

const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);
const MAX_HEADERS = 64;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

export function parseHttpRequest(data: Uint8Array): Parsed<HttpRequestMessage> {
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.length);
  const end = bytes.indexOf('\r\n\r\n');
  if (end < 0) return { ok: false, message: 'no end of headers (CRLF CRLF)' };
  const [line = '', ...fields] = bytes.subarray(0, end).toString('latin1').split('\r\n');
  const parts = line.split(' ');
  if (parts.length !== 3 || parts[2] !== 'HTTP/1.1') return { ok: false, message: 'bad request line' };
  const [method = '', target = ''] = parts;
  if (!METHODS.has(method)) return { ok: false, message: `method ${method.slice(0, 16)} not supported` };
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return { ok: false, message: 'the request target must be an absolute http(s) URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return { ok: false, message: 'the request target must be an absolute http(s) URL' };
  if (fields.length > MAX_HEADERS) return { ok: false, message: `more than ${MAX_HEADERS} headers` };
  const headers = new Map<string, string>();
  for (const field of fields) {
    const colon = field.indexOf(':');
    const name = field.slice(0, colon).toLowerCase();
    if (colon <= 0 || !TOKEN.test(name)) return { ok: false, message: 'bad header field' };
    headers.set(name, field.slice(colon + 1).trim());
  }
  const body = bytes.subarray(end + 4);
  const length = headers.get('content-length');
  if (length !== undefined && Number(length) !== body.length)
    return { ok: false, message: 'content-length does not match the body' };
  return { ok: true, value: { method, url, headers, body } };
}

/** The response as bytes: status line, the given headers, content-length, body. */
export function encodeHttpResponse(
  status: number,
  statusText: string,
  headers: ReadonlyArray<readonly [string, string]>,
  body: Uint8Array,
): Uint8Array {
  const lines = [`HTTP/1.1 ${status} ${statusText.replace(/[\r\n]/g, '')}`];
  for (const [name, value] of headers) lines.push(`${name}: ${value.replace(/[\r\n]/g, '')}`);
  lines.push(`content-length: ${body.length}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), body]);
}
