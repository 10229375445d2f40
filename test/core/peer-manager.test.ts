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

it('a peer whose link cannot be set up leaves no registry entry and no routes behind', async () => {
  const peers = new PeerRegistry();
  const routes = new RoutingTable();
  const ledger = new MemoryLedger();
  await ledger.open();
  // A link layer that refuses (a stand-in: the real one fails only on bugs or exhaustion).
  const links = {
    addPeer() {
      throw new Error('link layer refused');
    },
  } as unknown as LinkManager;
  const manager = new PeerManager({
    config: ConfigLoader.load(baseConfig('me'), { env: {} }),
    peers,
    routes,
    ledger,
    links,
    logger: silentLogger(),
    address: () => 'g.me',
  });
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
