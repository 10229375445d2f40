/**
 * The CLI's way to a running node: one JSON request to its admin API, with the API key from
 * `--api-key` or ADMIN_API_KEY. An error answer becomes an AdminCallError carrying the status and
 * the node's message; an unreachable node names the URL.
 */

export interface AdminTarget {
  /** Base URL of the admin API, e.g. http://127.0.0.1:8081. */
  readonly url: string;
  readonly apiKey?: string | undefined;
  readonly timeoutMs: number;
}

export class AdminCallError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

export async function adminCall(
  target: AdminTarget,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<unknown> {
  const url = new URL(path, target.url.endsWith('/') ? target.url : `${target.url}/`);
  const headers: Record<string, string> = {};
  if (target.apiKey !== undefined && target.apiKey !== '') headers['x-api-key'] = target.apiKey;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers,
      signal: AbortSignal.timeout(target.timeoutMs),
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (err) {
    throw new AdminCallError(`the admin API at ${url.origin} did not answer: ${(err as Error).message}`);
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new AdminCallError(`${res.status}: the admin API answered with no JSON`, res.status);
  }
  if (!res.ok) {
    const message = (json as { message?: unknown }).message;
    throw new AdminCallError(`${res.status} ${typeof message === 'string' ? message : text}`, res.status);
  }
  return json;
}
