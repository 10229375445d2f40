import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_PREFIX_CHARS, RoutingTable } from '../../src/routing/index.js';
import { ConnectorError } from '../../src/utils/errors.js';

function hop(table: RoutingTable, destination: string): string | undefined {
  return table.lookup(destination)?.nextHop;
}

function isRouteInvalid(pattern: RegExp) {
  return (err: unknown) =>
    err instanceof ConnectorError && err.code === 'ERR_ROUTE_INVALID' && pattern.test(err.message);
}

describe('RoutingTable: matching', () => {
  it('matches on segment boundaries only', () => {
    const t = new RoutingTable();
    t.addRoute('g.a', 'A');
    assert.equal(hop(t, 'g.a'), 'A');
    assert.equal(hop(t, 'g.a.b'), 'A');
    assert.equal(hop(t, 'g.a.b.c~d'), 'A');
    assert.equal(hop(t, 'g.ab'), undefined);
    assert.equal(hop(t, 'g'), undefined);
    assert.equal(hop(t, 'g.b.a'), undefined);
    assert.equal(hop(t, ''), undefined);
  });

  it('prefers the longest matching prefix', () => {
    const t = new RoutingTable();
    t.addRoute('g', 'G');
    t.addRoute('g.a', 'A', -10);
    t.addRoute('g.a.b', 'B');
    assert.equal(hop(t, 'g.a.b.c'), 'B');
    assert.equal(hop(t, 'g.a.bc'), 'A', 'a longer prefix wins over priority');
    assert.equal(hop(t, 'g.x'), 'G');
    assert.equal(hop(t, 'test.x'), undefined);
  });

  it('uses the default route "" when nothing else matches', () => {
    const t = new RoutingTable();
    t.addRoute('', 'D');
    t.addRoute('g.a', 'A');
    assert.equal(hop(t, 'test.anything'), 'D');
    assert.equal(hop(t, 'g.ab'), 'D');
    assert.equal(hop(t, ''), 'D');
    assert.equal(hop(t, 'g.a.x'), 'A');
  });

  it('picks the highest priority among routes with the same prefix, first added on ties', () => {
    const t = new RoutingTable();
    t.addRoute('g.a', 'low', 1);
    t.addRoute('g.a', 'first', 5);
    t.addRoute('g.a', 'second', 5);
    assert.equal(hop(t, 'g.a.x'), 'first');
    t.addRoute('g.a', 'top', 6);
    assert.deepEqual(t.lookup('g.a'), { prefix: 'g.a', nextHop: 'top', priority: 6 });
  });

  it('replaces a route with the same prefix and nextHop, keeping its place among ties', () => {
    const t = new RoutingTable();
    t.addRoute('g.a', 'X', 1);
    t.addRoute('g.a', 'Y', 2);
    t.addRoute('g.a', 'X', 2);
    assert.equal(t.size, 2);
    assert.equal(hop(t, 'g.a'), 'X', 'X was added before Y, so it wins the tie');
    t.addRoute('g.a', 'X', 0);
    assert.equal(hop(t, 'g.a'), 'Y');
  });

  it('handles destinations with odd shapes without throwing', () => {
    const t = new RoutingTable();
    t.addRoute('g.a', 'A');
    assert.equal(hop(t, 'g.a.'), 'A');
    assert.equal(hop(t, '.g.a'), undefined);
    assert.equal(hop(t, '...'), undefined);
    assert.equal(hop(t, 'g.a'.repeat(1000)), undefined);
  });

  it('returns frozen entries', () => {
    const t = new RoutingTable();
    t.addRoute('g.a', 'A');
    assert.ok(Object.isFrozen(t.lookup('g.a')));
  });
});

describe('RoutingTable: changes', () => {
  it('removes one route or every route at a prefix', () => {
    const t = new RoutingTable();
    t.addRoute('g.a', 'X', 2);
    t.addRoute('g.a', 'Y', 1);
    t.addRoute('g', 'G');
    assert.equal(t.removeRoute('g.a', 'X'), true);
    assert.equal(hop(t, 'g.a.b'), 'Y');
    assert.equal(t.removeRoute('g.a', 'X'), false);
    assert.equal(t.removeRoute('g.a'), true);
    assert.equal(hop(t, 'g.a.b'), 'G');
    assert.equal(t.removeRoute('g.a'), false);
    assert.equal(t.removeRoute('nothing.here'), false);
    assert.equal(t.size, 1);
  });

  it('removes every route via a next hop', () => {
    const t = new RoutingTable();
    t.addRoute('g.a', 'P');
    t.addRoute('g.b', 'P', 3);
    t.addRoute('g.b', 'Q');
    t.addRoute('', 'P');
    assert.equal(t.removeRoutesVia('P'), 3);
    assert.equal(t.removeRoutesVia('P'), 0);
    assert.equal(t.size, 1);
    assert.equal(hop(t, 'g.b.x'), 'Q');
    assert.equal(hop(t, 'g.a.x'), undefined);
  });

  it('still finds long prefixes after the longest one is removed and re-added', () => {
    const t = new RoutingTable();
    t.addRoute('g.a.b.c', 'C');
    t.addRoute('g.a', 'A');
    t.removeRoute('g.a.b.c');
    assert.equal(hop(t, 'g.a.b.c.d'), 'A');
    t.addRoute('g.a.b.c', 'C2');
    assert.equal(hop(t, 'g.a.b.c.d'), 'C2');
  });

  it('lists routes sorted by prefix, winner first within a prefix', () => {
    const t = new RoutingTable();
    t.addRoute('g.b', 'B');
    t.addRoute('g.a', 'A1', 1);
    t.addRoute('g.a', 'A2', 9);
    t.addRoute('', 'D');
    assert.deepEqual(t.listRoutes(), [
      { prefix: '', nextHop: 'D', priority: 0 },
      { prefix: 'g.a', nextHop: 'A2', priority: 9 },
      { prefix: 'g.a', nextHop: 'A1', priority: 1 },
      { prefix: 'g.b', nextHop: 'B', priority: 0 },
    ]);
    assert.equal(t.size, 4);
  });

  it('enforces maxRoutes but still allows replacing a route when full', () => {
    const t = new RoutingTable({ maxRoutes: 2 });
    t.addRoute('g.a', 'A');
    t.addRoute('g.b', 'B');
    assert.throws(() => t.addRoute('g.c', 'C'), isRouteInvalid(/maxRoutes 2/));
    t.addRoute('g.b', 'B', 7);
    assert.equal(t.lookup('g.b')?.priority, 7);
  });
});

describe('RoutingTable: validation', () => {
  it('rejects malformed prefixes, next hops and priorities with ERR_ROUTE_INVALID', () => {
    const t = new RoutingTable();
    for (const prefix of ['g..a', '.g', 'g.', 'g a', 'g/a', 'g.a\n']) {
      assert.throws(
        () => t.addRoute(prefix, 'A'),
        isRouteInvalid(/non-empty segments/),
        JSON.stringify(prefix),
      );
    }
    assert.throws(
      () => t.addRoute(`g.${'a'.repeat(MAX_PREFIX_CHARS)}`, 'A'),
      isRouteInvalid(/maximum is 1023/),
    );
    assert.throws(() => t.addRoute('g.a', ''), isRouteInvalid(/nextHop/));
    assert.throws(() => t.addRoute('g.a', 'a.b'), isRouteInvalid(/nextHop/));
    assert.throws(() => t.addRoute('g.a', 'A', 1.5), isRouteInvalid(/priority must be an integer/));
    assert.throws(() => t.addRoute('g.a', 'A', Number.NaN), isRouteInvalid(/priority/));
    assert.throws(() => t.addRoute(42 as unknown as string, 'A'), isRouteInvalid(/must be a string/));
    assert.equal(t.size, 0);
  });

  it('accepts prefixes of any scheme and the longest legal length', () => {
    const t = new RoutingTable();
    const longest = `g.${'a'.repeat(MAX_PREFIX_CHARS - 2)}`;
    t.addRoute(longest, 'L');
    t.addRoute('anything~goes_here-1', 'X');
    assert.equal(hop(t, `${longest}.child`), 'L');
    assert.equal(hop(t, 'anything~goes_here-1.x'), 'X');
  });
});
