/** Events, temp dirs and a waiting helper shared by the explorer tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NodeEvent, NodeEventType } from '../../../src/types/index.js';

export function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'explorer-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const PEERS = ['alice', 'bob', 'carol'];
const CODES = ['F02', 'T04', 'R00'];

/** n events, deterministic from i: every filterable field varies. */
export function makeEvents(n: number, startTs = 1_764_921_600_000): NodeEvent[] {
  return Array.from({ length: n }, (_, i) => makeEvent(i, startTs + i * 1000));
}

export function makeEvent(i: number, ts: number): NodeEvent {
  const kind = i % 4;
  const type: NodeEventType =
    kind === 0 ? 'packet.rejected' : kind === 3 ? 'peer.connected' : 'packet.fulfilled';
  const event: NodeEvent = { id: 0, ts, type, peerId: PEERS[i % 3]! };
  if (type !== 'peer.connected') {
    event.direction = i % 2 === 0 ? 'incoming' : 'outgoing';
    event.packetId = i.toString(16).padStart(64, '0');
    event.amount = String(1000 + i);
    event.destination = 'g.bob.wallet';
    event.latencyMs = 1.5;
    event.data = { nextHop: 'bob', amountOut: String(1000 + i) };
  }
  if (type === 'packet.rejected') event.code = CODES[i % 3]!;
  return event;
}

/** Polls `check` until it returns a value other than undefined; fails after `timeoutMs`. */
export async function waitFor<T>(
  check: () => T | undefined | Promise<T | undefined>,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 10));
  }
}
