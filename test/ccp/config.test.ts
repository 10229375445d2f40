/** The `ccp` config section and the per-peer switches (docs/config.md, docs/routing.md). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toPeerSettings } from '../../src/core/peer-settings.js';
import { base, issuesOf, load } from '../config/helpers.js';

describe('ccp config', () => {
  it('is off by default, with ilp-connector-like timings', () => {
    const c = load(base());
    assert.deepEqual(c.ccp, {
      enabled: false,
      broadcastIntervalMs: 30_000,
      routeExpiryMs: 45_000,
      cleanupIntervalMs: 1000,
      maxLearnedRoutes: 1_000_000,
    });
  });

  it('reads the section from YAML-like strings and refuses what cannot work', () => {
    assert.equal(
      load(base({ ccp: { enabled: 'true', broadcastIntervalMs: '500', routeExpiryMs: '2000' } })).ccp.enabled,
      true,
    );
    assert.deepEqual(
      issuesOf(base({ ccp: { broadcastIntervalMs: 10_000, routeExpiryMs: 5000 } })).map((i) => i.path),
      ['ccp.routeExpiryMs'],
    );
    assert.deepEqual(
      issuesOf(base({ ccp: { enabled: true, interval: 5 } })).map((i) => i.path),
      ['ccp.interval'],
      'unknown keys are errors',
    );
    assert.ok(
      issuesOf(base({ ccp: { maxLearnedRoutes: 0 } })).some((i) => i.path === 'ccp.maxLearnedRoutes'),
    );
  });

  it('exchanges routes with peers and parents, not children, unless a peer says otherwise', () => {
    const c = load(
      base({
        peers: [
          { id: 'p' },
          { id: 'up', relation: 'parent' },
          { id: 'kid', relation: 'child' },
          { id: 'kid2', relation: 'child', sendRoutes: true },
          { id: 'quiet', receiveRoutes: false },
        ],
      }),
    );
    const switches = c.peers.map((p) => {
      const s = toPeerSettings(p, c);
      return [p.id, s.sendRoutes, s.receiveRoutes];
    });
    assert.deepEqual(switches, [
      ['p', true, true],
      ['up', true, true],
      ['kid', false, false],
      ['kid2', true, false],
      ['quiet', true, false],
    ]);
  });
});

describe('learned routes in the Explorer', () => {
  it('are counted per peer in /api/peers, not listed (a neighbour may teach 100k)', async () => {
    const { peersJson } = await import('../../src/http/explorer/views.js');
    const json = peersJson(
      [{ id: 'p', relation: 'peer', connected: true }],
      [
        { prefix: 'g.p', nextHop: 'p', priority: 0 },
        { prefix: 'g.x', nextHop: 'p', priority: 0, origin: 'learned', path: ['g.p', 'g.x'] },
        { prefix: 'g.y', nextHop: 'p', priority: 0, origin: 'learned', path: ['g.p', 'g.y'] },
      ],
      [],
    );
    assert.deepEqual(json.peers[0]?.routes, ['g.p']);
    assert.equal(json.peers[0]?.learnedRoutes, 2);
  });
});
