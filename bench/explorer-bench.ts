/**
 * The Explorer's event store at its default bound: 1,000,000 events in a temp dir, inserted in
 * batches of 1,000 (one flush's worth at the default sampling rate), then 200 page queries of
 * each kind the page makes, and a prune of 10% of them. Not part of the test run.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/explorer-bench.js [--events 1000000]
 *
 * Events: 20 peers; 75% fulfilled packets, 20% rejected (4 codes), 5% other events; 500 ms
 * apart in ts, ending now (5.8 days: age pruning keeps them all, the prune is by count). Query times include the COUNT(*)
 * behind `total`. Reported: p50/p99 per query kind, insert rate and the longest batch (the
 * flush loop's stall), the prune's longest event-loop stall, the file size and the process RSS.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { EventStore } from '../src/http/explorer/store.js';
import type { PageRequest } from '../src/http/explorer/store-sql.js';
import type { NodeEvent, NodeEventType } from '../src/types/index.js';
import { silentLogger } from '../src/utils/logger.js';

const argIndex = process.argv.indexOf('--events');
const EVENTS = argIndex === -1 ? 1_000_000 : Number(process.argv[argIndex + 1]);
const BATCH = 1000;
const QUERIES = 200;
const PEERS = 20;
const CODES = ['F02', 'T04', 'R00', 'F99'];

function event(i: number, ts: number): NodeEvent {
  const r = i % 20;
  const type: NodeEventType = r < 15 ? 'packet.fulfilled' : r < 19 ? 'packet.rejected' : 'peer.connected';
  // Peer and code from i / 20, so that they do not follow the type (which is from i % 20).
  const e: NodeEvent = { id: 0, ts, type, peerId: `peer${Math.floor(i / 20) % PEERS}` };
  if (type === 'peer.connected') return e;
  e.direction = i % 2 === 0 ? 'incoming' : 'outgoing';
  e.packetId = randomBytes(32).toString('hex');
  e.amount = String(1000 + (i % 5000));
  e.destination = `g.peer${(i + 1) % PEERS}.wallet.~stream.${i % 997}`;
  e.latencyMs = 1.25;
  e.data = {
    from: e.peerId ?? null,
    to: `peer${(i + 1) % PEERS}`,
    amountOut: e.amount,
    expiresAt: ts + 30_000,
  };
  if (type === 'packet.rejected') {
    e.code = CODES[Math.floor(i / 20) % CODES.length]!;
    e.data.message = 'no route';
    e.data.triggeredBy = 'g.node';
  }
  return e;
}

const percentile = (sorted: number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
const ms = (x: number): string => x.toFixed(2);
const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(0);

async function timed(
  requests: () => PageRequest,
  store: EventStore,
): Promise<{ p50: number; p99: number; rows: number }> {
  const times: number[] = [];
  let rows = 0;
  for (let i = 0; i < QUERIES; i++) {
    const request = requests();
    const start = performance.now();
    const page = await store.query(request);
    times.push(performance.now() - start);
    rows += page.events.length;
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 0.5), p99: percentile(times, 0.99), rows: rows / QUERIES };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'explorer-bench-'));
  const store = new EventStore(join(dir, 'events.db'), silentLogger());
  try {
    if (!(await store.open())) throw new Error(`store did not open: ${store.health().error}`);
    const end = Date.now();
    const packetIds: string[] = [];
    const batchTimes: number[] = [];
    const insertStart = performance.now();
    for (let i = 0; i < EVENTS; i += BATCH) {
      const batch = Array.from({ length: Math.min(BATCH, EVENTS - i) }, (_, j) =>
        event(i + j, end - (EVENTS - i - j) * 500),
      );
      if (i % 5000 === 0 && batch[0]!.packetId !== undefined) packetIds.push(batch[0]!.packetId);
      const t0 = performance.now();
      await store.insert(batch);
      batchTimes.push(performance.now() - t0);
    }
    const insertSeconds = (performance.now() - insertStart) / 1000;
    batchTimes.sort((a, b) => a - b);
    if (store.health().events !== EVENTS) throw new Error(`stored ${store.health().events} of ${EVENTS}`);
    const rssAfterInsert = process.memoryUsage().rss;

    let n = 0;
    const deepCursor = Math.floor(EVENTS / 10);
    const kinds: [string, () => PageRequest][] = [
      ['newest 100, no filter', () => ({ limit: 100 })],
      [
        'types=packet.rejected&peerId=…&limit=100',
        () => ({ types: ['packet.rejected'], peerId: `peer${n++ % PEERS}`, limit: 100 }),
      ],
      ['packetId=…', () => ({ packetId: packetIds[n++ % packetIds.length]!, limit: 100 })],
      [
        `cursor deep (id < ${deepCursor}), limit=100`,
        () => ({ cursor: deepCursor - (n++ % 1000), limit: 100 }),
      ],
      [
        'cursor deep + types=packet.rejected&peerId=…',
        () => ({ types: ['packet.rejected'], peerId: `peer${n++ % PEERS}`, cursor: deepCursor, limit: 100 }),
      ],
      ['code=T04&direction=incoming, limit=100', () => ({ code: 'T04', direction: 'incoming', limit: 100 })],
      ['direction=incoming (half the store), limit=100', () => ({ direction: 'incoming', limit: 100 })],
      [
        'types=packet.fulfilled (75% of the store), limit=100',
        () => ({ types: ['packet.fulfilled'], limit: 100 }),
      ],
      ['since=last hour, limit=100', () => ({ since: end - 3_600_000, limit: 100 })],
    ];
    const results: string[] = [];
    for (const [name, request] of kinds) {
      const r = await timed(request, store);
      results.push(`| ${name} | ${ms(r.p50)} | ${ms(r.p99)} | ${r.rows.toFixed(0)} |`);
    }
    const sizeBytes = store.health().sizeBytes;
    const rssAfterQueries = process.memoryUsage().rss;

    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    const pruneStart = performance.now();
    const pruned = await store.prune({ retentionDays: 7, maxEvents: EVENTS * 0.9, nowMs: Date.now() });
    const pruneMs = performance.now() - pruneStart;
    delay.disable();

    console.log(`\n## Explorer store, ${EVENTS.toLocaleString('en')} events\n`);
    console.log('| query (200 each) | p50 ms | p99 ms | rows |');
    console.log('| --- | --- | --- | --- |');
    for (const line of results) console.log(line);
    console.log('\n| measure | value |');
    console.log('| --- | --- |');
    console.log(
      `| insert rate (batches of ${BATCH}) | ${Math.round(EVENTS / insertSeconds).toLocaleString('en')} events/s |`,
    );
    console.log(
      `| one batch insert p50 / p99 / max | ${ms(percentile(batchTimes, 0.5))} / ${ms(percentile(batchTimes, 0.99))} / ${ms(batchTimes.at(-1)!)} ms |`,
    );
    console.log(
      `| prune ${pruned.toLocaleString('en')} events (chunks of 500) | ${ms(pruneMs)} ms total, longest event-loop stall ${ms(delay.max / 1e6)} ms |`,
    );
    console.log(`| file size (db + wal) | ${mb(sizeBytes)} MB |`);
    console.log(`| RSS after insert / after queries | ${mb(rssAfterInsert)} / ${mb(rssAfterQueries)} MB |`);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
