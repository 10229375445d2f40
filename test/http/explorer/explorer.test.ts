/**
 * The Explorer's lifecycle and loops: a store that cannot open only degrades it, stop() stores
 * what is left, pruning keeps the store within its bounds, balance.changed events follow the
 * ledger, and a failing node callback never stops the flush loop.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { EventStore } from '../../../src/http/index.js';
import type { NodeEvent } from '../../../src/types/index.js';
import { silentLogger } from '../../../src/utils/logger.js';
import { tempDir, waitFor } from './events.js';
import { balance, FULFILL, openSocket, prepare, startExplorer, stored } from './harness.js';

const DAY_MS = 86_400_000;

describe('Explorer', () => {
  it('starts degraded when the store cannot open: 503 on /api/events, the rest and the stream work', async (t) => {
    // Under a regular file: fails for root too (chmod would not stop root).
    const dir = tempDir(t);
    writeFileSync(join(dir, 'file'), '');
    const h = await startExplorer(t, { storePath: join(dir, 'file', 'events.db') });
    const health = (await h.get('/api/health')).body;
    assert.equal(health.status, 'degraded');
    assert.equal(health.store.state, 'failed');
    assert.match(health.store.error, /open failed/);
    const events = await h.get('/api/events');
    assert.equal(events.status, 503);
    assert.equal(events.body.error, 'Unavailable');
    assert.equal((await h.get('/api/peers')).status, 200);
    const ws = await openSocket(`ws://127.0.0.1:${h.explorer.port}/ws`);
    t.after(() => ws.terminate());
    const frame = new Promise<NodeEvent>((resolve) =>
      ws.once('message', (d) => resolve(JSON.parse(String(d)))),
    );
    h.recorder.event({ type: 'peer.added', peerId: 'carol' });
    assert.equal((await frame).type, 'peer.added');
    await waitFor(async () => ((await h.get('/api/health')).body.dropped === 1 ? true : undefined), 'a drop');
  });

  it('stop() stores what is left, closes the port and the store', async (t) => {
    const h = await startExplorer(t, {}, { flushIntervalMs: 3_600_000 });
    h.recorder.event({ type: 'peer.added', peerId: 'carol' });
    h.recorder.packet('alice', 'bob', false, prepare(7), FULFILL, 1n, 1);
    await h.explorer.stop();
    await assert.rejects(fetch(`${h.base}/api/health`));
    const store = new EventStore(h.storePath, silentLogger());
    t.after(() => store.close());
    await store.open();
    const page = await store.query({ limit: 10 });
    assert.deepEqual(page.events.map((e) => e.type).sort(), ['packet.fulfilled', 'peer.added']);
  });

  it('prunes beyond maxEvents after a big insert', async (t) => {
    const h = await startExplorer(t, { maxEvents: 50 });
    for (let i = 0; i < 200; i++) h.recorder.event({ type: 'route.added', data: { i } });
    await waitFor(async () => {
      const { body } = await h.get('/api/events?limit=1');
      return body.total === 50 ? body : undefined;
    }, 'the store pruned to 50');
    const { body } = await h.get('/api/events?limit=1000');
    assert.equal(body.events.at(-1).data.i, 150, 'the newest 50 are kept');
  });

  it('prunes by age on its interval, by its clock', async (t) => {
    let offsetMs = 0;
    const h = await startExplorer(t, {}, { pruneIntervalMs: 20, now: () => Date.now() + offsetMs });
    for (let i = 0; i < 10; i++) h.recorder.event({ type: 'route.added' });
    await stored(h, 10);
    offsetMs = 8 * DAY_MS;
    await waitFor(
      async () => ((await h.get('/api/health')).body.store.events === 0 ? true : undefined),
      'pruned',
    );
  });

  it('emits balance.changed for the peers of packets whose posted balance changed', async (t) => {
    const h = await startExplorer(t);
    h.node.balanceList = [balance('alice', 1100n, 0n), balance('bob', 0n, 1040n)];
    h.recorder.packet('alice', 'bob', false, prepare(1), FULFILL, 1000n, 1);
    const { body } = await waitFor(async () => {
      const res = await h.get('/api/events?types=balance.changed');
      return res.body.total === 2 ? res : undefined;
    }, 'two balance.changed events');
    const bob = body.events.find((e: NodeEvent) => e.peerId === 'bob');
    assert.equal(bob.amount, '1040');
    assert.deepEqual(bob.data, {
      debit: '0',
      credit: '1040',
      net: '1040',
      pendingDebit: '0',
      pendingCredit: '0',
    });
  });

  it('keeps flushing when the node cannot answer for balances; the API answers 500', async (t) => {
    const h = await startExplorer(t);
    h.node.balances = async () => {
      throw new Error('ledger down');
    };
    h.recorder.packet('alice', 'bob', false, prepare(1), FULFILL, 1000n, 1);
    h.recorder.event({ type: 'peer.added', peerId: 'carol' });
    await stored(h, 2);
    const res = await h.get('/api/balances');
    assert.equal(res.status, 500);
    assert.deepEqual(res.body, { error: 'InternalError', message: 'internal error' });
  });
});
