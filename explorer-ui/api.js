// The page's only door to the node: every HTTP call and the WS URL, with the key when the page
// was opened with `?key=` (a non-loopback Explorer requires it, docs/explorer.md).
const key = new URLSearchParams(location.search).get('key');

/** Paths resolve against the page, so the Explorer also works behind a path prefix. */
export function apiUrl(path, params) {
  const url = new URL(path, document.baseURI);
  for (const [name, value] of Object.entries(params ?? {})) {
    if (value !== undefined && value !== null && value !== '') url.searchParams.set(name, String(value));
  }
  return url;
}

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message ?? `HTTP ${status}`);
    this.status = status;
    this.kind = body?.error ?? 'Http';
  }
}

export async function getJson(path, params, signal) {
  const headers = key ? { 'X-Api-Key': key } : {};
  const response = await fetch(apiUrl(path, params), { headers, signal, cache: 'no-store' });
  const body = await response.json().catch(() => undefined);
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

export function wsUrl() {
  const url = apiUrl('ws');
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  if (key) url.searchParams.set('key', key);
  return url.toString();
}

export function describeError(error) {
  if (error instanceof ApiError && error.status === 401) {
    return 'The Explorer refused the key: open the page with ?key=<explorer API key>.';
  }
  if (error instanceof ApiError) return `${error.kind}: ${error.message}`;
  return `The node did not answer (${error?.message ?? error}).`;
}
