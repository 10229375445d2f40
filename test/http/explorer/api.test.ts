/**
 * The Explorer's JSON API over a real socket (docs/explorer.md): every endpoint's shape, every
 * /api/events filter, both kinds of paging, and a 400 naming the parameter for every bad one.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NodeEvent } from '../../../src/types/index.js';
import { FULFILL, type Harness, prepare, reject, startExplorer, stored } from './harness.js';

/** 12 packets (alice → bob; every third rejected with F02 or T04) and 3 peer events. */
async function recordSome(h: Harness): Promise<void> {
  for (let i = 0; i < 12; i++) {
    const reply = i % 3 === 0 ? reject(i % 2 === 0 ? 'F02' : 'T04') : FULFILL;
    const incoming = i % 4 !== 3;
    h.recorder.packet(incoming ? 'alice' : undefined, 'bob', false, prepare(i), reply, 990n, 1.25);
  }
  h.recorder.event({ type: 'peer.connected', peerId: 'alice' });
  h.recorder.event({ type: 'peer.disconnected', peerId: 'bob', data: { reason: 'closed' } });
  h.recorder.event({ type: 'route.added', data: { prefix: 'g.carol' } });
  await stored(h, 15);
}

describe('explorer API: the node', () => {
  it('GET /api/node, /api/peers, /api/routes, /api/balances, /api/channels', async (t) => {
    const h = await startExplorer(t);
    assert.deepEqual((await h.get('/api/node')).body, h.node.identity());
    const peers = await h.get('/api/peers');
    assert.equal(peers.status, 200);
    assert.deepEqual(peers.body.peers, [
      {
        id: 'alice',
        relation: 'peer',
        connected: true,
        url: 'ws://alice:3000',
        balance: { debit: '100', credit: '0', net: '-100', pendingDebit: '0', pendingCredit: '0' },
        maximum: '5000',
        settleThreshold: null,
        routes: ['g.alice', 'g.alice.sub'],
      },
      {
        id: 'bob',
        relation: 'child',
        connected: false,
        balance: { debit: '0', credit: '40', net: '40', pendingDebit: '0', pendingCredit: '0' },
        maximum: null,
        settleThreshold: '700',
        routes: ['g.bob'],
      },
    ]);
    assert.deepEqual((await h.get('/api/routes')).body, { routes: h.node.routes() });
    assert.deepEqual((await h.get('/api/balances')).body.balances[1], {
      peerId: 'bob',
      debit: '0',
      credit: '40',
      net: '40',
      pendingDebit: '0',
      pendingCredit: '0',
    });
    const { channels } = (await h.get('/api/channels')).body;
    assert.equal(channels.length, 2);
    assert.equal(channels[0].explorerUrl, 'https://basescan.org');
    assert.equal(channels[0].deposit, '1000000');
    assert.equal('explorerUrl' in channels[1], false, 'a local chain has no block explorer');
  });

  it('GET /api/health and /api/stats', async (t) => {
    const h = await startExplorer(t);
    await recordSome(h);
    const health = await h.get('/api/health');
    assert.equal(health.status, 200);
    assert.equal(health.body.status, 'ok');
    assert.equal(health.body.store.state, 'open');
    assert.equal(health.body.store.events, 15);
    assert.ok(health.body.store.sizeBytes > 0);
    assert.equal(health.body.store.path, h.storePath);
    assert.equal(health.body.dropped, 0);
    assert.equal(health.body.sampled, 0);
    const stats = await h.get('/api/stats?window=10');
    assert.equal(stats.body.windowSeconds, 10);
    assert.equal(stats.body.fulfilled, 8);
    assert.equal(stats.body.rejected, 4);
    assert.deepEqual(stats.body.rejectsByCode, { F02: 2, T04: 2 });
    assert.equal(stats.body.series.length, 10);
    assert.ok(stats.body.latencyMs.p50 > 0);
    assert.equal((await h.get('/api/stats')).body.windowSeconds, 60, 'default window');
  });

  it('unknown routes are JSON 404s', async (t) => {
    const h = await startExplorer(t);
    const res = await h.get('/api/nothing');
    assert.equal(res.status, 404);
    assert.equal(res.body.error, 'NotFound');
    assert.equal((await h.get('/assets/missing.js')).status, 404);
    assert.equal((await h.get('/vendor/react.js')).status, 404);
  });
});

describe('explorer API: /api/events', () => {
  it('filters by every parameter, newest first, with the total of every match', async (t) => {
    const h = await startExplorer(t);
    await recordSome(h);
    const all = (await h.get('/api/events?limit=1000')).body;
    assert.equal(all.total, 15);
    assert.equal(all.nextCursor, null);
    const ids = all.events.map((e: { id: number }) => e.id);
    assert.deepEqual(
      ids,
      [...ids].sort((a: number, b: number) => b - a),
    );
    const packet = all.events.find((e: { type: string }) => e.type === 'packet.rejected');
    const t0 = Math.min(...all.events.map((e: { ts: number }) => e.ts));
    const cases: [string, (e: NodeEvent) => boolean][] = [
      ['types=packet.rejected', (e) => e.type === 'packet.rejected'],
      ['types=peer.connected,route.added', (e) => e.type === 'peer.connected' || e.type === 'route.added'],
      ['peerId=bob', (e) => e.peerId === 'bob'],
      [`packetId=${packet.packetId.toUpperCase()}`, (e) => e.packetId === packet.packetId],
      ['direction=outgoing', (e) => e.direction === 'outgoing'],
      ['code=T04', (e) => e.code === 'T04'],
      [`since=${t0}&until=${t0 + 60_000}`, () => true],
      [`until=${t0 - 1}`, () => false],
      [
        'types=packet.rejected&peerId=alice&code=F02',
        (e) => e.type === 'packet.rejected' && e.code === 'F02',
      ],
    ];
    for (const [query, match] of cases) {
      const { status, body } = await h.get(`/api/events?${query}`);
      assert.equal(status, 200, query);
      const expected = all.events.filter(match);
      assert.deepEqual(body.events, expected, query);
      assert.equal(body.total, expected.length, query);
    }
    const p = packet;
    assert.equal(p.destination, 'g.bob.wallet');
    assert.equal(typeof p.amount, 'string');
    assert.equal(p.data.to, 'bob');
  });

  it('pages by cursor and by offset without duplicates or gaps', async (t) => {
    const h = await startExplorer(t);
    await recordSome(h);
    const byCursor: number[] = [];
    let cursor = '';
    for (;;) {
      const { body } = await h.get(`/api/events?limit=4${cursor}`);
      assert.equal(body.total, 15);
      byCursor.push(...body.events.map((e: { id: number }) => e.id));
      if (body.nextCursor === null) break;
      cursor = `&cursor=${body.nextCursor}`;
    }
    const byOffset: number[] = [];
    for (let offset = 0; offset < 15; offset += 4) {
      const { body } = await h.get(`/api/events?limit=4&offset=${offset}`);
      byOffset.push(...body.events.map((e: { id: number }) => e.id));
    }
    const expected = Array.from({ length: 15 }, (_, i) => 15 - i);
    assert.deepEqual(byCursor, expected);
    assert.deepEqual(byOffset, expected);
  });

  it('answers 400 naming the parameter for every bad one', async (t) => {
    const h = await startExplorer(t);
    const bad: [string, string][] = [
      ['/api/events?limit=0', 'limit'],
      ['/api/events?limit=1001', 'limit'],
      ['/api/events?limit=ten', 'limit'],
      ['/api/events?limit=1e2', 'limit'],
      ['/api/events?limit=%2B5', 'limit'],
      ['/api/events?limit=5&limit=6', 'limit'],
      ['/api/events?offset=-1', 'offset'],
      ['/api/events?offset=100001', 'offset'],
      ['/api/events?cursor=0', 'cursor'],
      ['/api/events?cursor=abc', 'cursor'],
      ['/api/events?cursor=5&offset=1', 'offset'],
      ['/api/events?types=packet.lost', 'types'],
      ['/api/events?types=', 'types'],
      ['/api/events?types=packet.rejected,', 'types'],
      ['/api/events?since=yesterday', 'since'],
      ['/api/events?until=-5', 'until'],
      ['/api/events?since=200&until=100', 'until'],
      ['/api/events?peerId=has%20space', 'peerId'],
      ['/api/events?peerId=', 'peerId'],
      ['/api/events?packetId=abc', 'packetId'],
      ['/api/events?direction=sideways', 'direction'],
      [`/api/events?code=${'F'.repeat(129)}`, 'code'],
      ['/api/events?sort=asc', 'sort'],
      ['/api/stats?window=0', 'window'],
      ['/api/stats?window=301', 'window'],
      ['/api/stats?window=1.5', 'window'],
      ['/api/node?verbose=1', 'verbose'],
      ['/api/peers?x=1', 'x'],
      ['/api/health?x=1', 'x'],
    ];
    for (const [path, parameter] of bad) {
      const { status, body } = await h.get(path);
      assert.equal(status, 400, path);
      assert.equal(body.error, 'BadRequest', path);
      assert.ok(body.message.startsWith(`${parameter}:`), `${path}: ${body.message}`);
    }
  });
});
