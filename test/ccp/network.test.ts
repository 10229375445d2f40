/**
 * Five of our nodes learning routes by CCP alone (no static routes), in a line and in a ring:
 * every node reaches every other by the shortest path, no packet loops (every packet sent while
 * the network converges or reconverges is fulfilled, or rejected F02/T01/T03 by a node without a
 * route yet, a link that went down or the node being stopped: never R00/R02, which a loop would
 * end in), and after a node of the ring is killed
 * the others reconverge around it and forget its address. Times to converge are measured and
 * printed (docs/routing.md quotes them).
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { ConnectorNode } from '../../src/index.js';
import { baseConfig, btpUrl, makeNode, sendData, waitConnected } from '../helpers/nodes.js';

const CCP = { enabled: true, broadcastIntervalMs: 1000, routeExpiryMs: 3000, cleanupIntervalMs: 200 };
const IDS = ['n1', 'n2', 'n3', 'n4', 'n5'];

/** Polls `ready` (cheap, in memory) until true; returns the milliseconds it took. */
async function waitFor(ready: () => boolean, timeoutMs: number, what: string): Promise<number> {
  const started = Date.now();
  while (!ready()) {
    if (Date.now() - started > timeoutMs) throw new Error(`not ${what} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return Date.now() - started;
}

interface Net {
  nodes: Map<string, ConnectorNode>;
  /** A node's expected next hop to each other node (undefined: unreachable). */
  expected(from: string, to: string): string | undefined;
}

/** Starts the nodes; node i dials each listed neighbour j < i (so every listener is up first). */
async function startNet(edges: [string, string][]): Promise<Map<string, ConnectorNode>> {
  const nodes = new Map<string, ConnectorNode>();
  for (const id of IDS) {
    const peers = edges
      .filter(([x, y]) => x === id || y === id)
      .map(([x, y]) => (x === id ? y : x))
      .map((other) => {
        const dialed = nodes.get(other);
        const token = [id, other].sort().join('-');
        return dialed === undefined
          ? { id: other, authToken: token }
          : { id: other, url: btpUrl(dialed), authToken: token };
      });
    const node = makeNode(baseConfig(id, { peers, ccp: CCP }));
    node.setPacketHandler(async () => ({ accept: true }));
    await node.start();
    nodes.set(id, node);
  }
  await Promise.all(
    edges.flatMap(([x, y]) => [waitConnected(nodes.get(x)!, y), waitConnected(nodes.get(y)!, x)]),
  );
  return nodes;
}

/** Shortest paths over the live edges; ties (none in these graphs) would go to the lower id. */
function nextHops(
  edges: [string, string][],
  alive: string[],
): (from: string, to: string) => string | undefined {
  const neighbours = (id: string) =>
    edges
      .filter(([x, y]) => (x === id || y === id) && alive.includes(x) && alive.includes(y))
      .map(([x, y]) => (x === id ? y : x))
      .sort();
  return (from, to) => {
    const first = new Map<string, string>();
    let frontier = neighbours(from).map((n) => {
      first.set(n, n);
      return n;
    });
    const seen = new Set([from, ...frontier]);
    while (frontier.length > 0 && !first.has(to)) {
      const next: string[] = [];
      for (const at of frontier)
        for (const n of neighbours(at)) {
          if (seen.has(n)) continue;
          seen.add(n);
          first.set(n, first.get(at)!);
          next.push(n);
        }
      frontier = next;
    }
    return first.get(to);
  };
}

function converged(net: Net, alive: string[]): boolean {
  for (const from of alive) {
    const routes = net.nodes.get(from)!.listRoutes();
    for (const to of IDS) {
      if (to === from) continue;
      const hop = net.expected(from, to);
      const route = routes.find((r) => r.prefix === `g.${to}`);
      if (route?.nextHop !== hop) return false;
      if (hop !== undefined && route?.origin !== 'learned') return false;
    }
  }
  return true;
}

let sent = 0;

/** One packet from every alive node to every other; the rejects, with the node that made each. */
async function trafficRound(nodes: Map<string, ConnectorNode>, alive: string[]): Promise<Rejected[]> {
  const sends: Promise<Rejected | undefined>[] = [];
  for (const from of alive)
    for (const to of alive)
      if (from !== to)
        sends.push(
          sendData(nodes.get(from)!, `g.${to}.x`, 1n, `${from}>${to}:${++sent}`, 5000).then((r) =>
            r.type === 13 ? undefined : { code: r.code, by: r.triggeredBy },
          ),
        );
  return (await Promise.all(sends)).filter((r): r is Rejected => r !== undefined);
}

interface Rejected {
  code: string;
  by: string;
}

describe('five nodes learning routes by CCP', { timeout: 60_000 }, () => {
  const running: ConnectorNode[] = [];
  after(async () => {
    await Promise.all(running.map((n) => n.stop()));
  });

  it('a line converges on the only paths and forwards end to end', async () => {
    const edges: [string, string][] = [
      ['n1', 'n2'],
      ['n2', 'n3'],
      ['n3', 'n4'],
      ['n4', 'n5'],
    ];
    const started = Date.now();
    const nodes = await startNet(edges);
    running.push(...nodes.values());
    const linked = Date.now();
    const net = { nodes, expected: nextHops(edges, IDS) };
    const tookMs = await waitFor(() => converged(net, IDS), 20_000, 'converged');
    console.log(
      `line of 5: converged ${tookMs} ms after the last link came up (${linked - started} ms to start)`,
    );
    const rejects = await trafficRound(nodes, IDS);
    assert.deepEqual(rejects, []);
    // Paths are as long as the line: n1 learned n5 through n2, n3, n4.
    const route = nodes
      .get('n1')!
      .listRoutes()
      .find((r) => r.prefix === 'g.n5');
    assert.deepEqual(route?.path, ['g.n2', 'g.n3', 'g.n4', 'g.n5']);
    await Promise.all([...nodes.values()].map((n) => n.stop()));
    running.length = 0;
  });

  it('a ring converges on shortest paths, never loops, and reconverges after a node is killed', async () => {
    const edges: [string, string][] = [
      ['n1', 'n2'],
      ['n2', 'n3'],
      ['n3', 'n4'],
      ['n4', 'n5'],
      ['n5', 'n1'],
    ];
    const nodes = await startNet(edges);
    running.push(...nodes.values());
    const codes: Rejected[] = [];
    let alive = [...IDS];
    let flowing = true;
    // Traffic from the first moment: packets while routes are still being learned.
    const flow = (async () => {
      while (flowing) {
        codes.push(...(await trafficRound(nodes, alive)));
        // Paced: rejects made in memory would otherwise starve the sockets and timers.
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const net = { nodes, expected: nextHops(edges, IDS) };
    const tookMs = await waitFor(() => converged(net, IDS), 20_000, 'converged');
    console.log(`ring of 5: converged ${tookMs} ms after the last link came up`);
    assert.deepEqual(await trafficRound(nodes, IDS), []);

    alive = IDS.filter((id) => id !== 'n3');
    const killedAt = Date.now();
    await nodes.get('n3')!.stop();
    const after = { nodes, expected: nextHops(edges, alive) };
    const reconvergedMs = await waitFor(() => converged(after, alive), 20_000, 'reconverged');
    console.log(
      `ring of 5 without n3: reconverged ${Date.now() - killedAt} ms after the kill began (${reconvergedMs} ms after n3 stopped)`,
    );
    flowing = false;
    await flow;
    assert.deepEqual(await trafficRound(nodes, alive), []);
    // n3's address is gone everywhere: F02, not a packet wandering until it expires.
    for (const id of alive) {
      const reply = await sendData(nodes.get(id)!, 'g.n3.x', 1n, `to-n3-${id}`, 5000);
      assert.equal(reply.type === 14 && reply.code, 'F02');
    }
    const loopish = codes.filter((c) => c.code.startsWith('R'));
    assert.deepEqual(loopish, [], `expiry rejects while converging: ${JSON.stringify(loopish)}`);
    // No route yet (F02), a link that went down (T01), or n3 itself refusing while it stops (T03).
    const expected = (c: Rejected) =>
      c.code === 'F02' || c.code === 'T01' || (c.code === 'T03' && c.by === 'g.n3');
    const unexpected = codes.filter((c) => !expected(c));
    assert.deepEqual(unexpected, [], `unexpected rejects: ${JSON.stringify(unexpected)}`);
  });
});

/**
 * DRAGON among our nodes: hub H (g.h) has child C (g.h.c by IL-DCP); N peers with both and with
 * M. N learns g.h from H and g.h.c from C, both peers: g.h covers g.h.c, so M is told g.h only
 * and still reaches C, N's longest match sending it straight to C. When H stops, g.h goes and
 * N advertises g.h.c again (ilp-connector would keep it filtered until C's route changed).
 */
describe('DRAGON filtering across four nodes', { timeout: 60_000 }, () => {
  const running = new Map<string, ConnectorNode>();
  after(async () => {
    await Promise.all([...running.values()].map((n) => n.stop()));
  });

  async function start(id: string, peers: NonNullable<Parameters<typeof baseConfig>[1]>['peers']) {
    const node = makeNode(baseConfig(id, { peers, ccp: CCP }));
    node.setPacketHandler(async () => ({ accept: true }));
    await node.start();
    running.set(id, node);
    return node;
  }

  it('a covered prefix is not advertised, is reached through the covering one, and comes back when it goes', async () => {
    const h = await start('h', [
      { id: 'c', authToken: 'c-h', relation: 'child' },
      { id: 'n', authToken: 'h-n' },
    ]);
    const c = await start('c', [
      { id: 'h', url: btpUrl(h), authToken: 'c-h', relation: 'parent' },
      { id: 'n', authToken: 'c-n' },
    ]);
    const n = await start('n', [
      { id: 'h', url: btpUrl(h), authToken: 'h-n' },
      { id: 'c', url: btpUrl(c), authToken: 'c-n' },
      { id: 'm', authToken: 'm-n' },
    ]);
    const m = await start('m', [{ id: 'n', url: btpUrl(n), authToken: 'm-n' }]);
    await Promise.all([waitConnected(c, 'h'), waitConnected(n, 'c'), waitConnected(m, 'n')]);
    const at = (node: ConnectorNode, prefix: string) => node.listRoutes().find((r) => r.prefix === prefix);

    await waitFor(
      () => c.getIlpAddress() === 'g.h.c' && at(n, 'g.h.c')?.nextHop === 'c' && at(m, 'g.h') !== undefined,
      10_000,
      'learned',
    );
    assert.deepEqual(at(m, 'g.h')?.path, ['g.n', 'g.h']);
    // N has said all it has to say once M knows every other prefix N advertises.
    await waitFor(() => at(m, 'g.n') !== undefined, 10_000, 'N advertised');
    assert.equal(at(m, 'g.h.c'), undefined, 'g.h.c is covered by g.h at N');
    const through = await sendData(m, 'g.h.c.shop', 100n, 'covered');
    assert.equal(through.type, 13, 'M reaches C through g.h; N forwards by its longest match');
    assert.equal(at(n, 'g.h.c')?.nextHop, 'c');

    await h.stop();
    running.delete('h');
    const tookMs = await waitFor(
      () => at(m, 'g.h') === undefined && at(m, 'g.h.c')?.nextHop === 'n',
      10_000,
      'uncovered',
    );
    console.log(`M learned g.h.c ${tookMs} ms after H, whose g.h covered it, stopped`);
    assert.deepEqual(at(m, 'g.h.c')?.path, ['g.n', 'g.h.c']);
    assert.equal((await sendData(m, 'g.h.c.shop', 100n, 'uncovered')).type, 13);
  });
});
