/**
 * AdvertisedRoutes (routing/ccp/advertised-routes.ts): the epoch log of what we tell neighbours,
 * and the slice each one gets (ilp-connector's forwarding routing table and ccp-sender filters).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AdvertisedRoutes, type Relation } from '../../src/routing/ccp/index.js';

const RELATIONS: Record<string, Relation> = { p: 'peer', q: 'peer', up: 'parent', kid: 'child' };
const relationOf = (id: string) => RELATIONS[id];

function route(t: AdvertisedRoutes, prefix: string, nextHop: string, path: string[] = ['g.me']) {
  return { prefix, nextHop, path, auth: t.authFor(prefix) };
}

describe('advertised routes', () => {
  it('logs each change at the next epoch and clears the slot it supersedes', () => {
    const t = new AdvertisedRoutes();
    assert.equal(t.set('g.me', route(t, 'g.me', 'me')), true);
    assert.equal(t.set('g.a', route(t, 'g.a', 'p', ['g.me', 'g.a'])), true);
    assert.equal(t.set('g.a', route(t, 'g.a', 'p', ['g.me', 'g.a'])), false, 'unchanged: no epoch');
    assert.equal(t.set('g.a', route(t, 'g.a', 'q', ['g.me', 'g.q', 'g.a'])), true);
    assert.equal(t.set('g.b', undefined), false, 'withdrawing what was never advertised');
    assert.equal(t.epoch, 3);
    const all = t.slice(0, 'kid', relationOf, 100, 30_000);
    assert.deepEqual(
      all.newRoutes.map((r) => [r.prefix, r.nextHop]),
      [
        ['g.me', 'me'],
        ['g.a', 'q'],
      ],
    );
    assert.equal(all.toEpoch, 3);
    assert.equal(t.set('g.a', undefined), true);
    assert.deepEqual(t.slice(3, 'kid', relationOf, 100, 30_000).withdrawn, ['g.a']);
  });

  it('sends a route to its own next hop as a withdrawal, and to a parent only our own and our children', () => {
    const t = new AdvertisedRoutes();
    t.set('g.me', route(t, 'g.me', 'me'));
    t.set('g.p', route(t, 'g.p', 'p', ['g.me', 'g.p']));
    t.set('g.up.x', route(t, 'g.up.x', 'up', ['g.me', 'g.up']));
    t.set('g.me.kid', route(t, 'g.me.kid', 'kid', ['g.me']));
    const names = (peer: string) => {
      const s = t.slice(0, peer, relationOf, 100, 30_000);
      return { sent: s.newRoutes.map((r) => r.prefix), withdrawn: s.withdrawn };
    };
    assert.deepEqual(names('p'), { sent: ['g.me', 'g.up.x', 'g.me.kid'], withdrawn: ['g.p'] });
    assert.deepEqual(names('up'), { sent: ['g.me', 'g.me.kid'], withdrawn: ['g.p', 'g.up.x'] });
    assert.deepEqual(names('q'), { sent: ['g.me', 'g.p', 'g.up.x', 'g.me.kid'], withdrawn: [] });
  });

  it('bounds a slice by epochs and by bytes, and resumes where it stopped', () => {
    const t = new AdvertisedRoutes();
    for (let i = 0; i < 100; i++) t.set(`g.r${i}`, route(t, `g.r${i}`, 'p', ['g.me', 'g.p']));
    const byEpochs = t.slice(0, 'q', relationOf, 30, 1_000_000);
    assert.equal(byEpochs.newRoutes.length, 30);
    assert.equal(byEpochs.toEpoch, 30);
    const byBytes = t.slice(30, 'q', relationOf, 1000, 700);
    assert.ok(byBytes.newRoutes.length > 0 && byBytes.newRoutes.length < 70);
    assert.equal(byBytes.toEpoch, 30 + byBytes.newRoutes.length);
    assert.equal(byBytes.newRoutes[0]?.prefix, 'g.r30');
  });

  it('compacts under a new table id once cleared slots outnumber live routes', () => {
    const t = new AdvertisedRoutes();
    const first = t.tableId;
    t.set('g.a', route(t, 'g.a', 'p'));
    // Flapping one prefix fills the log with cleared slots.
    for (let i = 0; i < 10_010; i++) t.set('g.a', i % 2 === 0 ? undefined : route(t, 'g.a', 'p'));
    assert.notEqual(t.tableId, first);
    assert.ok(t.epoch < 10, `log compacted to ${t.epoch} epochs`);
    const slice = t.slice(0, 'q', relationOf, 1000, 30_000);
    assert.deepEqual(
      slice.newRoutes.map((r) => r.prefix),
      ['g.a'],
    );
    assert.deepEqual(slice.withdrawn, [], 'a compacted log holds live routes only');
  });
});
