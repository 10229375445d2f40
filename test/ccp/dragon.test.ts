/**
 * DRAGON route filtering (routing/ccp/dragon.ts) as ilp-connector's canDragonFilter decides it:
 * a prefix is not advertised while a shorter advertised prefix covers it through an equal or
 * better relation (parent < peer < child < local; a local covering route never counts). Checked
 * on the speaker over a real routing table: what each neighbour's slice of the log holds, both
 * ways (covered when the covering route comes, advertised again when it goes), and against a
 * simple model on seeded random changes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CcpSpeaker, dragonCovered, PrefixTree, type Relation } from '../../src/routing/ccp/index.js';
import { RoutingTable } from '../../src/routing/index.js';
import { silentLogger } from '../../src/utils/logger.js';
import { mulberry32 } from '../helpers/prng.js';

const RELATIONS: Record<string, Relation> = {
  p: 'peer',
  q: 'peer',
  s: 'peer',
  r: 'peer',
  up: 'parent',
  kid: 'child',
  kid2: 'child',
};
const relationOf = (id: string): Relation | undefined => RELATIONS[id];

/** A speaker at `g.me` (node id `me`) over a real table; no link is up, so nothing is sent. */
function speakerOverTable() {
  let speaker: CcpSpeaker | undefined;
  const table = new RoutingTable({ onChange: (_change, r) => speaker?.tableChanged(r.prefix) });
  speaker = new CcpSpeaker({
    nodeId: 'me',
    ownAddress: () => 'g.me',
    table,
    relationOf,
    policy: () => ({ send: true, receive: true }),
    isConnected: () => false,
    send: async () => undefined,
    logger: silentLogger(),
    options: {
      broadcastIntervalMs: 1000,
      routeExpiryMs: 45_000,
      cleanupIntervalMs: 1000,
      maxLearnedRoutes: 10_000,
      requestTimeoutMs: 1000,
    },
  });
  table.addRoute('g.me', 'me');
  const s = speaker;
  /** The prefixes neighbour `peerId` is told of, from epoch 0, once pending changes are applied. */
  const sent = async (peerId: string): Promise<string[]> => {
    await new Promise((resolve) => setImmediate(resolve));
    const slice = s.advertised.slice(0, peerId, relationOf, 1_000_000, 1e9);
    return slice.newRoutes.map((r) => r.prefix).sort();
  };
  return { table, speaker: s, sent };
}

describe('DRAGON route filtering', () => {
  it('decides as ilp-connector: an equal or better relation covers, a worse or local one does not', () => {
    const advertised = new Map<string, string>();
    const view = {
      nodeId: 'me',
      relationOf,
      advertisedNextHop: (prefix: string) => advertised.get(prefix),
    };
    advertised.set('g.a', 'p');
    assert.deepEqual(dragonCovered('g.a.b', 'q', view), { to: 'p' }, 'peer covers peer');
    assert.deepEqual(dragonCovered('g.a.b.c', 'up', view), { to: 'p' }, 'peer covers parent');
    assert.equal(dragonCovered('g.a.b', 'kid', view), undefined, 'peer does not cover child');
    assert.equal(dragonCovered('g.a', 'q', view), undefined, 'a prefix does not cover itself');
    assert.equal(dragonCovered('g.ab', 'q', view), undefined, 'segments, not characters');
    assert.equal(dragonCovered('g.a.b', 'me', view), undefined, 'a local route is never covered');
    assert.equal(dragonCovered('g.a.b', 'stranger', view), undefined, 'nor one through an unknown next hop');
    advertised.set('g.l', 'me');
    assert.equal(dragonCovered('g.l.x', 'up', view), undefined, 'a local route covers nothing');
    advertised.set('g.c', 'up');
    assert.equal(dragonCovered('g.c.d', 'q', view), undefined, 'parent does not cover peer');
    assert.deepEqual(dragonCovered('g.c.d', 'up', view), { to: 'up' }, 'parent covers parent');
    advertised.set('g.a.b', 'kid');
    assert.deepEqual(
      dragonCovered('g.a.b.c', 'q', view),
      { to: undefined },
      'two next hops: hidden from all',
    );
  });

  it('hides a covered prefix from every neighbour but the covering route’s next hop', async () => {
    const { table, sent } = speakerOverTable();
    table.setLearned('g.a', 'p', ['g.a']);
    table.setLearned('g.a.b', 'q', ['g.q']);
    table.setLearned('g.c', 'up', ['g.up']);
    table.setLearned('g.c.d', 'q', ['g.q']);
    table.addRoute('g.e', 'kid');
    table.setLearned('g.e.f', 'q', ['g.q']);
    table.setLearned('g.h', 'q', ['g.q']);
    table.addRoute('g.h.i', 'kid');
    table.addRoute('g.l', 'me');
    table.setLearned('g.l.m', 'q', ['g.q']);
    assert.deepEqual(await sent('r'), ['g.a', 'g.c', 'g.c.d', 'g.e', 'g.h', 'g.h.i', 'g.l', 'g.l.m', 'g.me']);
    // p does not get g.a (its own), so it gets g.a.b, which g.a would have covered.
    assert.deepEqual(await sent('p'), [
      'g.a.b',
      'g.c',
      'g.c.d',
      'g.e',
      'g.h',
      'g.h.i',
      'g.l',
      'g.l.m',
      'g.me',
    ]);
    // To the parent: our own and our children's routes only, as before.
    assert.deepEqual(await sent('up'), ['g.e', 'g.h.i', 'g.l', 'g.me']);
  });

  it('covers a prefix when the covering route comes, and advertises it again when it goes', async () => {
    const { table, speaker, sent } = speakerOverTable();
    table.setLearned('g.x.y', 'q', ['g.q']);
    assert.ok((await sent('r')).includes('g.x.y'));
    const before = speaker.advertised.epoch;
    table.setLearned('g.x', 'p', ['g.p']);
    await sent('r');
    const change = speaker.advertised.slice(before, 'r', relationOf, 1000, 1e9);
    assert.deepEqual(change.withdrawn, ['g.x.y'], 'r is told to withdraw the covered prefix');
    assert.deepEqual(
      change.newRoutes.map((r) => r.prefix),
      ['g.x'],
    );
    table.removeLearned('g.x');
    assert.deepEqual(await sent('r'), ['g.me', 'g.x.y'], 'uncovered once g.x is gone');
  });

  it('a covered route covers nothing; what is under it is looked at again when it changes', async () => {
    const { table, speaker, sent } = speakerOverTable();
    table.setLearned('g.a', 'p', ['g.p']);
    table.setLearned('g.a.b', 's', ['g.s']);
    table.setLearned('g.a.b.c', 'q', ['g.q']);
    assert.deepEqual(await sent('r'), ['g.a', 'g.me']);
    const covered = (prefix: string) =>
      speaker.advertised.slice(0, 'nobody', relationOf, 1e6, 1e9).newRoutes.find((r) => r.prefix === prefix);
    await sent('r');
    assert.equal(speaker.advertised.uncoveredNextHop('g.a.b'), undefined, 'g.a.b is covered');
    assert.equal(covered('g.a.b.c'), undefined);
    // p gets both (it does not get g.a); g.a.b.c is covered by g.a only, g.a.b being covered.
    assert.deepEqual(await sent('p'), ['g.a.b', 'g.a.b.c', 'g.me']);
    table.removeLearned('g.a');
    // Now g.a.b is advertised and covers g.a.b.c (peer and peer), which goes only to s.
    assert.deepEqual(await sent('r'), ['g.a.b', 'g.me']);
    assert.deepEqual(await sent('s'), ['g.a.b.c', 'g.me']);
    assert.deepEqual(await sent('p'), ['g.a.b', 'g.me']);
  });

  it('after random changes, advertises what a simple model of the rule says (seeded)', async () => {
    const random = mulberry32(16);
    const hops = ['p', 'q', 's', 'up', 'kid', 'kid2', 'me'];
    const prefixes = ['g.a', 'g.a.b', 'g.a.b.c', 'g.a.d', 'g.a.b.c.e', 'g.f', 'g.f.g', 'g.ab'];
    const { table, speaker, sent } = speakerOverTable();
    const live = new Map<string, string>();
    for (let step = 0; step < 400; step++) {
      const prefix = prefixes[Math.floor(random() * prefixes.length)]!;
      const hop = hops[Math.floor(random() * hops.length)]!;
      if (live.has(prefix) && random() < 0.4) {
        table.removeRoute(prefix);
        live.delete(prefix);
      } else {
        table.removeRoute(prefix);
        table.addRoute(prefix, hop);
        live.set(prefix, hop);
      }
      if (step % 7 !== 0) continue;
      await sent('r');
      const model = modelAdvertised(live);
      for (const prefix of prefixes)
        assert.equal(
          speaker.advertised.uncoveredNextHop(prefix),
          model.get(prefix),
          `step ${step}: ${prefix} (table ${JSON.stringify([...live])})`,
        );
    }
  });

  it('PrefixTree: prefixes under one, each before those under it, and nothing left after deletes', () => {
    const t = new PrefixTree();
    for (const p of ['g.a', 'g.a.b.c', 'g.a.b', 'g.ab', 'g.a.d', 'h.a']) t.add(p);
    const under = [...t.under('g.a')];
    assert.deepEqual([...under].sort(), ['g.a.b', 'g.a.b.c', 'g.a.d']);
    assert.ok(under.indexOf('g.a.b') < under.indexOf('g.a.b.c'));
    assert.deepEqual([...t.under('g')].sort(), ['g.a', 'g.a.b', 'g.a.b.c', 'g.a.d', 'g.ab']);
    assert.deepEqual([...t.under('x')], []);
    for (const p of ['g.a', 'g.a.b.c', 'g.a.b', 'g.ab', 'g.a.d', 'h.a', 'never.added']) t.delete(p);
    assert.equal(t.size, 0);
    assert.deepEqual([...t.under('g')], []);
  });
});

/**
 * The rule written plainly: shortest prefixes first, a route is advertised uncovered unless an
 * uncovered shorter one covers it through an equal or better relation (local: never covers).
 * Configured routes under our own address and bare schemes are not in `live` here.
 */
function modelAdvertised(live: Map<string, string>): Map<string, string> {
  const rank = (hop: string) => (hop === 'me' ? 3 : { parent: 0, peer: 1, child: 2 }[relationOf(hop)!]);
  const out = new Map<string, string>();
  const byDepth = [...live.keys()].sort((a, b) => a.split('.').length - b.split('.').length);
  for (const prefix of byDepth) {
    const hop = live.get(prefix)!;
    const covered = [...out].some(
      ([parent, via]) => prefix.startsWith(`${parent}.`) && via !== 'me' && rank(via) >= rank(hop),
    );
    if (!covered) out.set(prefix, hop);
  }
  return out;
}
