import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { type RouteEntry, RoutingTable } from '../../src/routing/index.js';

/**
 * The reference: scan every route, keep those whose prefix matches on a segment boundary, and pick
 * the longest prefix, then the highest priority, then the earliest added. Slow and obviously right.
 */
class NaiveTable {
  routes: { entry: RouteEntry; seq: number }[] = [];
  seq = 0;

  add(prefix: string, nextHop: string, priority: number): void {
    const at = this.routes.findIndex((r) => r.entry.prefix === prefix && r.entry.nextHop === nextHop);
    const seq = at >= 0 ? (this.routes[at]?.seq ?? 0) : this.seq++;
    if (at >= 0) this.routes.splice(at, 1);
    this.routes.push({ entry: { prefix, nextHop, priority }, seq });
  }

  remove(prefix: string, nextHop?: string): void {
    this.routes = this.routes.filter(
      (r) => r.entry.prefix !== prefix || (nextHop !== undefined && r.entry.nextHop !== nextHop),
    );
  }

  removeVia(nextHop: string): void {
    this.routes = this.routes.filter((r) => r.entry.nextHop !== nextHop);
  }

  lookup(destination: string): RouteEntry | undefined {
    const matches = this.routes.filter(({ entry: { prefix } }) => {
      if (prefix === '') return true;
      return destination === prefix || destination.startsWith(`${prefix}.`);
    });
    matches.sort(
      (a, b) =>
        b.entry.prefix.length - a.entry.prefix.length || b.entry.priority - a.entry.priority || a.seq - b.seq,
    );
    return matches[0]?.entry;
  }
}

// A tiny alphabet makes prefixes collide and nest often, which is where the bugs would be.
const segment = fc.constantFrom('a', 'b', 'ab', 'a-b', '~');
const address = fc.array(segment, { minLength: 1, maxLength: 5 }).map((s) => s.join('.'));
const prefix = fc.oneof({ weight: 1, arbitrary: fc.constant('') }, { weight: 6, arbitrary: address });
const nextHop = fc.constantFrom('p1', 'p2', 'p3', 'p4');
const priority = fc.integer({ min: -2, max: 2 });

const operation = fc.oneof(
  { weight: 8, arbitrary: fc.record({ op: fc.constant('add' as const), prefix, nextHop, priority }) },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant('remove' as const), prefix, nextHop: fc.option(nextHop) }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('removeVia' as const), nextHop }) },
);

describe('RoutingTable property', () => {
  it('agrees with a naive reference on random tables and destinations', () => {
    fc.assert(
      fc.property(
        fc.array(operation, { maxLength: 40 }),
        fc.array(address, { maxLength: 20 }),
        (ops, destinations) => {
          const table = new RoutingTable();
          const naive = new NaiveTable();
          for (const o of ops) {
            if (o.op === 'add') {
              table.addRoute(o.prefix, o.nextHop, o.priority);
              naive.add(o.prefix, o.nextHop, o.priority);
            } else if (o.op === 'remove') {
              table.removeRoute(o.prefix, o.nextHop ?? undefined);
              naive.remove(o.prefix, o.nextHop ?? undefined);
            } else {
              table.removeRoutesVia(o.nextHop);
              naive.removeVia(o.nextHop);
            }
          }
          assert.equal(table.size, naive.routes.length);
          for (const destination of destinations) {
            assert.deepEqual(table.lookup(destination), naive.lookup(destination), destination);
          }
        },
      ),
      { seed: 20_240_601, numRuns: 500 },
    );
  });
});
