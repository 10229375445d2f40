/**
 * The event store run by its worker thread (StoreClient), on a real SQLite file in a temp dir:
 * the same answers as the store on the node's thread, the errors it gives, and what happens when
 * the worker dies (the store is failed, events are dropped and counted, nothing throws).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Worker } from 'node:worker_threads';
import { StoreClient } from '../../../src/http/explorer/store-client.js';
import type { NodeEvent } from '../../../src/types/index.js';
import { silentLogger } from '../../../src/utils/logger.js';

const dirs: string[] = [];
function dir(): string {
  const d = mkdtempSync(join(tmpdir(), 'store-client-'));
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function events(n: number, from = 0): NodeEvent[] {
  return Array.from({ length: n }, (_, i) => ({
    id: 0,
    ts: 1_000 + from + i,
    type: i % 2 === 0 ? 'packet.fulfilled' : 'packet.rejected',
    peerId: i % 3 === 0 ? 'alice' : 'bob',
    amount: String(from + i),
    data: { n: from + i },
  }));
}

function capture() {
  const lines: { level: string; fields: Record<string, unknown>; msg: string }[] = [];
  const logger = silentLogger();
  logger.warn = ((fields: Record<string, unknown>, msg: string) =>
    void lines.push({ level: 'warn', fields, msg })) as never;
  logger.error = ((fields: Record<string, unknown>, msg: string) =>
    void lines.push({ level: 'error', fields, msg })) as never;
  return { logger, lines };
}

describe('StoreClient: the event store in a worker thread', () => {
  it('stores, numbers, filters, pages and prunes as the store does, and reopens with the same events', async () => {
    const path = join(dir(), 'events.db');
    const store = new StoreClient(path, silentLogger());
    assert.equal(await store.open(), true);
    const batch = events(10);
    await store.insert(batch);
    assert.deepEqual(
      batch.map((e) => e.id),
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    );
    assert.equal(store.events, 10);
    assert.equal(store.health().state, 'open');
    assert.ok(store.health().sizeBytes > 0);
    const page = await store.query({ limit: 3, peerId: 'alice' });
    assert.deepEqual(
      page.events.map((e) => e.id),
      [10, 7, 4],
    );
    assert.equal(page.total, 4);
    assert.equal(page.events[0]?.data?.n, 9);
    await assert.rejects(store.query({ limit: 0 }), { code: 'ERR_INVALID_ARGUMENT' });
    assert.equal(await store.prune({ retentionDays: 1, maxEvents: 6, nowMs: 2_000 }), 4);
    assert.equal(store.events, 6);
    await store.close();
    assert.equal(store.health().state, 'closed');
    await assert.rejects(store.query({ limit: 1 }), { code: 'ERR_STORE_UNAVAILABLE' });
    await store.insert(events(2));
    assert.equal(store.droppedEvents, 2);

    const again = new StoreClient(path, silentLogger());
    assert.equal(await again.open(), true);
    assert.equal(again.events, 6);
    const more = events(1, 100);
    await again.insert(more);
    assert.equal(more[0]?.id, 11);
    await again.close();
  });

  it('a file that is not a database: failed with the reason, logged through the node, events dropped', async () => {
    const path = join(dir(), 'events.db');
    writeFileSync(path, 'not a database, '.repeat(512));
    const { logger, lines } = capture();
    const store = new StoreClient(path, logger);
    assert.equal(await store.open(), false);
    assert.equal(store.state, 'failed');
    assert.match(store.health().error ?? '', /open failed/);
    assert.ok(lines.some((l) => l.level === 'error' && /events are no longer stored/.test(l.msg)));
    const batch = events(3);
    await store.insert(batch);
    assert.deepEqual(
      batch.map((e) => e.id),
      [0, 0, 0],
    );
    assert.equal(store.droppedEvents, 3);
    await assert.rejects(store.query({ limit: 1 }), { code: 'ERR_STORE_UNAVAILABLE' });
    await store.close();
  });

  it('a worker that dies: the store is failed, what it owed is answered, later events are dropped', async () => {
    const { logger, lines } = capture();
    const store = new StoreClient(join(dir(), 'events.db'), logger);
    assert.equal(await store.open(), true);
    const worker = (store as unknown as { worker: Worker }).worker;
    const owed = store.insert(events(5));
    // terminate() holds the loop open only until something unrefs the worker, and the client
    // unrefs it when the insert's answer comes in, which can be after terminate() was called:
    // the loop would then run empty before 'exit'. This timer keeps it open for the kill.
    const hold = setInterval(() => {}, 60_000);
    await worker.terminate();
    const batch = await owed; // answered, not left pending
    clearInterval(hold);
    assert.ok(batch.every((e) => e.id === 0) || batch.every((e) => e.id > 0));
    assert.equal(store.state, 'failed');
    assert.match(store.health().error ?? '', /worker exited/);
    assert.ok(lines.some((l) => l.level === 'error'));
    const before = store.droppedEvents;
    await store.insert(events(4));
    assert.equal(store.droppedEvents, before + 4);
    await assert.rejects(store.query({ limit: 1 }), { code: 'ERR_STORE_UNAVAILABLE' });
    assert.equal(await store.prune({ retentionDays: 1, maxEvents: 1, nowMs: 0 }), 0);
    await store.close();
  });
});
