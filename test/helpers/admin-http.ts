/**
 * A node's admin API over HTTP, as an operator's script calls it (no API key): for tests that
 * run nodes as processes (CliNode) and read their books and channels from outside. Polling waits
 * only where the node has no event to wait on from another process.
 */
import assert from 'node:assert/strict';

/** One admin API call; asserts a 2xx answer and returns its JSON body. */
export async function adminJson(
  port: number,
  method: string,
  path: string,
  body?: unknown,
): Promise<unknown> {
  const init: RequestInit = { method };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { 'content-type': 'application/json' };
  }
  const res = await fetch(`http://127.0.0.1:${port}${path}`, init);
  const json = (await res.json()) as unknown;
  assert.ok(
    res.status >= 200 && res.status < 300,
    `${method} ${path}: ${res.status} ${JSON.stringify(json)}`,
  );
  return json;
}

/** `GET /admin/balances/:peerId` in bigints (ILP units). */
export interface AdminBalance {
  debitBalance: bigint;
  creditBalance: bigint;
  pendingDebit: bigint;
  pendingCredit: bigint;
}

export async function adminBalance(port: number, peerId: string): Promise<AdminBalance> {
  const body = (await adminJson(port, 'GET', `/admin/balances/${peerId}`)) as Record<string, string>;
  return {
    debitBalance: BigInt(body.debitBalance!),
    creditBalance: BigInt(body.creditBalance!),
    pendingDebit: BigInt(body.pendingDebit!),
    pendingCredit: BigInt(body.pendingCredit!),
  };
}

/** The ids of the peers the node says are connected; undefined while its admin API does not answer. */
export async function connectedPeers(port: number): Promise<string[] | undefined> {
  const res = await fetch(`http://127.0.0.1:${port}/admin/peers`).catch(() => undefined);
  if (res?.status !== 200) return undefined;
  const body = (await res.json()) as
    | { peers?: { id: string; connected: boolean }[] }
    | { id: string; connected: boolean }[];
  const peers = Array.isArray(body) ? body : (body.peers ?? []);
  return peers.filter((p) => p.connected).map((p) => p.id);
}

/** Polls `probe` every `everyMs` until it returns a value; fails naming `what` after `timeoutMs`. */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  everyMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
