/**
 * LearnedRoutes (routing/ccp/learned-routes.ts) writing into a RoutingTable, against a model
 * that is too simple to be wrong: per neighbour, the set of offers it currently makes. Random
 * sequences of updates (new and withdrawn routes), updates with a gap, neighbours restarting
 * with a new routing table id, links going down and hold-down expiry, from three neighbours of
 * different relations, over a table with one configured route: after every step each prefix's
 * winner in the table is the model's choice (configured first, then shortest path, then child
 * before peer before parent, then the lower peer id), and offers that hold our own address in
 * their path or lie under our address are never taken.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { LearnedRoutes, type Relation } from '../../src/routing/ccp/index.js';
import { RoutingTable } from '../../src/routing/index.js';

const OWN = 'g.own';
const PREFIXES = ['g.a', 'g.a.b', 'g.c', 'g.d', 'g.own.x', 'test.e'];
const HOPS = ['g.h1', 'g.h2', 'g.h3', OWN];
const PEERS: Record<string, Relation> = { p1: 'peer', p2: 'child', p3: 'parent' };
const RANK: Record<Relation, number> = { child: 0, peer: 1, parent: 2 };
const CONFIGURED = { prefix: 'g.c', nextHop: 'p1' };
const HOLD_DOWN_MS = 1000;

type Op =
  | { kind: 'update'; peer: string; add: [string, string[]][]; withdraw: string[] }
  | { kind: 'gap'; peer: string; add: [string, string[]][] }
  | { kind: 'restart'; peer: string; add: [string, string[]][] }
  | { kind: 'down'; peer: string }
  | { kind: 'tick'; ms: number };

const peer = fc.constantFrom(...Object.keys(PEERS));
const offer = fc.tuple(
  fc.constantFrom(...PREFIXES),
  fc.array(fc.constantFrom(...HOPS), { minLength: 1, maxLength: 4 }),
);
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('update' as const),
      peer,
      add: fc.array(offer, { maxLength: 4 }),
      withdraw: fc.array(fc.constantFrom(...PREFIXES), { maxLength: 3 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('gap' as const),
      peer,
      add: fc.array(offer, { minLength: 1, maxLength: 3 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('restart' as const),
      peer,
      add: fc.array(offer, { maxLength: 4 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('down' as const), peer }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 700 }) }),
  },
);

const acceptable = ([prefix, path]: [string, string[]]) =>
  !path.includes(OWN) && prefix !== OWN && !prefix.startsWith(`${OWN}.`);

describe('learned routes against a model', () => {
  it('leave the table equal to the model after random updates, gaps, restarts, link downs and expiry', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 40 }), (ops) => {
        const table = new RoutingTable();
        table.addRoute(CONFIGURED.prefix, CONFIGURED.nextHop);
        const book = new LearnedRoutes({
          table,
          relationOf: (id) => PEERS[id],
          ownAddress: () => OWN,
          maxLearnedRoutes: 1000,
        });
        // The model: each neighbour's current offers and when they expire.
        const model = new Map<string, { offers: Map<string, string[]>; expiresAt: number }>();
        const sender = new Map<string, { tableId: number; epoch: number }>();
        let now = 0;
        let tables = 0;
        const uuid = (n: number) => `00000000-0000-0000-0000-${n.toString(16).padStart(12, '0')}`;

        for (const o of ops) {
          if (o.kind === 'tick') {
            now += o.ms;
            book.expire(now);
            for (const [id, m] of model) if (m.expiresAt < now) model.delete(id);
            continue;
          }
          if (o.kind === 'down') {
            book.drop(o.peer);
            model.delete(o.peer);
            sender.delete(o.peer);
            continue;
          }
          let s = sender.get(o.peer);
          if (s === undefined || o.kind === 'restart') {
            s = { tableId: ++tables, epoch: 0 };
            sender.set(o.peer, s);
          }
          const from = o.kind === 'gap' ? book.position(o.peer).epoch + 5 : book.position(o.peer).epoch;
          const withdraw = o.kind === 'update' ? o.withdraw : [];
          const to = from + o.add.length + withdraw.length;
          const outcome = book.apply(
            o.peer,
            {
              routingTableId: uuid(s.tableId),
              // A restarted neighbour sends its whole new table: it has caught up at once.
              currentEpochIndex: o.kind === 'restart' ? o.add.length : to,
              fromEpochIndex: o.kind === 'restart' ? 0 : from,
              toEpochIndex: o.kind === 'restart' ? o.add.length : to,
              holdDownTime: HOLD_DOWN_MS,
              newRoutes: o.add.map(([prefix, path]) => ({ prefix, path })),
              withdrawnRoutes: withdraw,
            },
            now,
          );
          // Every update, even one with a gap, renews the hold-down (as ilp-connector's receiver).
          const m = model.get(o.peer) ?? { offers: new Map(), expiresAt: 0 };
          m.expiresAt = Math.max(m.expiresAt, now + HOLD_DOWN_MS);
          model.set(o.peer, m);
          if (o.kind === 'gap') {
            assert.equal(outcome.kind, 'gap');
            continue;
          }
          if (o.kind === 'restart') m.offers.clear();
          for (const prefix of withdraw) m.offers.delete(prefix);
          for (const entry of o.add) {
            if (acceptable(entry)) m.offers.set(entry[0], entry[1]);
            else m.offers.delete(entry[0]);
          }
        }

        for (const prefix of PREFIXES) {
          const got = table.routeAt(prefix);
          if (prefix === CONFIGURED.prefix) {
            assert.equal(got?.nextHop, CONFIGURED.nextHop);
            assert.equal(got?.origin, undefined, 'the configured route wins');
          }
          let best: { peer: string; path: string[] } | undefined;
          for (const [id, m] of model) {
            const path = m.offers.get(prefix);
            if (path === undefined) continue;
            const better =
              best === undefined ||
              path.length < best.path.length ||
              (path.length === best.path.length &&
                (RANK[PEERS[id]!] < RANK[PEERS[best.peer]!] ||
                  (RANK[PEERS[id]!] === RANK[PEERS[best.peer]!] && id < best.peer)));
            if (better) best = { peer: id, path };
          }
          const learned = table.listRoutes().filter((r) => r.prefix === prefix && r.origin === 'learned');
          assert.equal(learned.length, best === undefined ? 0 : 1, `${prefix}: learned routes`);
          if (best !== undefined) {
            assert.equal(learned[0]?.nextHop, best.peer, `${prefix}: next hop`);
            assert.deepEqual(learned[0]?.path, best.path, `${prefix}: path`);
            if (prefix !== CONFIGURED.prefix) assert.equal(got?.nextHop, best.peer);
          } else if (prefix !== CONFIGURED.prefix) {
            assert.equal(got, undefined, `${prefix}: no route`);
          }
        }
        const offers = [...model.values()].reduce((n, m) => n + m.offers.size, 0);
        assert.equal(book.size, offers);
      }),
      { seed: 1016, numRuns: 400 },
    );
  });
});
