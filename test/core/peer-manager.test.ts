/** PeerManager: a peer is added all or nothing. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { LinkManager } from '../../src/btp/index.js';
import { ConfigLoader, parsePeerConfig } from '../../src/config/index.js';
import { PeerManager } from '../../src/core/peer-manager.js';
import { PeerRegistry } from '../../src/core/peers.js';
import { MemoryLedger } from '../../src/index.js';
import { RoutingTable } from '../../src/routing/index.js';
import { silentLogger } from '../../src/utils/logger.js';
import { baseConfig } from '../helpers/nodes.js';

function managerWith(
  ledger: MemoryLedger,
  links: LinkManager,
): { manager: PeerManager; peers: PeerRegistry; routes: RoutingTable } {
  const peers = new PeerRegistry();
  const routes = new RoutingTable();
  const manager = new PeerManager({
    config: ConfigLoader.load(baseConfig('me'), { env: {} }),
    peers,
    routes,
    ledger: () => ledger,
    links,
    logger: silentLogger(),
    address: () => 'g.me',
  });
  return { manager, peers, routes };
}

it('a peer whose link cannot be set up leaves no registry entry and no routes behind', async () => {
  const ledger = new MemoryLedger();
  await ledger.open();
  // A link layer that refuses (a stand-in: the real one fails only on bugs or exhaustion).
  const links = {
    addPeer() {
      throw new Error('link layer refused');
    },
  } as unknown as LinkManager;
  const { manager, peers, routes } = managerWith(ledger, links);
  const peer = parsePeerConfig({ id: 'p', authToken: '', relation: 'child', routes: [{ prefix: 'g.p' }] });
  await assert.rejects(manager.add(peer), /link layer refused/);
  assert.equal(peers.has('p'), false);
  assert.deepEqual(routes.listRoutes(), []);
  // The same peer can be added once the cause is gone.
  (links as unknown as { addPeer: () => void }).addPeer = () => undefined;
  await manager.add(peer);
  assert.equal(peers.has('p'), true);
  assert.deepEqual(
    routes
      .listRoutes()
      .map((r) => r.prefix)
      .sort(),
    ['g.me.p', 'g.p'],
  );
  await ledger.close();
});

it('two adds of the same id at once: one succeeds, the other is refused, the first stays whole', async () => {
  const inner = new MemoryLedger();
  await inner.open();
  // A ledger that takes a while to create accounts, as one doing I/O does.
  const ledger = Object.create(inner) as MemoryLedger;
  ledger.createAccount = async (id, options) => {
    await new Promise((resolve) => setImmediate(resolve));
    return inner.createAccount(id, options);
  };
  const linked: string[] = [];
  const links = { addPeer: (p: { id: string }) => linked.push(p.id) } as unknown as LinkManager;
  const { manager, peers, routes } = managerWith(ledger, links);
  const peer = parsePeerConfig({ id: 'p', authToken: '', routes: [{ prefix: 'g.p' }] });
  const results = await Promise.allSettled([manager.add(peer), manager.add(peer)]);
  assert.deepEqual(
    results.map((r) => r.status),
    ['fulfilled', 'rejected'],
  );
  assert.match(String((results[1] as PromiseRejectedResult).reason), /already exists/);
  assert.equal(peers.has('p'), true);
  assert.deepEqual(
    routes.listRoutes().map((r) => r.prefix),
    ['g.p'],
  );
  assert.deepEqual(linked, ['p']);
  await inner.close();
});
