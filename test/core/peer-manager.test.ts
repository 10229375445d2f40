/** PeerManager: a peer is added all or nothing. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LinkManager } from '../../src/btp/index.js';
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

/** A real table, ledger and (unstarted) link manager: what a failed add must leave untouched. */
async function realParts(maxRoutes = 1000, managerMaxRoutes = maxRoutes) {
  const ledger = new MemoryLedger();
  await ledger.open();
  const links = new LinkManager({
    nodeId: 'me',
    port: 0,
    logger: silentLogger(),
    allowNoAuth: true,
    secretFor: () => undefined,
    onRequest: async () => [],
  });
  const peers = new PeerRegistry();
  const routes = new RoutingTable({ maxRoutes });
  const manager = new PeerManager({
    config: ConfigLoader.load(baseConfig('me'), { env: {} }),
    peers,
    routes,
    maxRoutes: managerMaxRoutes,
    ledger: () => ledger,
    links,
    logger: silentLogger(),
    address: () => 'g.me',
  });
  const state = async () => ({
    peers: peers.all().map((p) => p.id),
    routes: routes.listRoutes(),
    links: ['a', 'p'].filter((id) => links.hasPeer(id)),
    accounts: (await ledger.listAccounts()).sort(),
  });
  return { ledger, links, peers, routes, manager, state };
}

describe('a failing step of an add leaves no half peer', () => {
  it('a full route table: refused before anything changes, even the ledger account', async () => {
    const { manager, routes, state, ledger } = await realParts(3);
    await manager.add(parsePeerConfig({ id: 'a', authToken: '', routes: [{ prefix: 'g.a' }] }));
    routes.addRoute('g.b', 'a');
    const before = await state();
    const peer = parsePeerConfig({ id: 'p', authToken: '', routes: [{ prefix: 'g.p' }, { prefix: 'g.q' }] });
    await assert.rejects(manager.add(peer), /routing table is full/);
    assert.deepEqual(await state(), before);
    assert.equal(ledger.hasAccount('peer:p'), false);
    // A child needs its address route too: with 1 of 3 held, two routes plus the address do not fit.
    routes.removeRoute('g.b');
    const child = parsePeerConfig({
      id: 'p',
      authToken: '',
      relation: 'child',
      routes: [{ prefix: 'g.p' }, { prefix: 'g.q' }],
    });
    await assert.rejects(manager.add(child), /routing table is full/);
    assert.equal(ledger.hasAccount('peer:p'), false);
    await ledger.close();
  });

  it('a bad URL (one the config rules let through): refused before anything changes', async () => {
    const { manager, state, ledger } = await realParts();
    const before = await state();
    const peer = {
      ...parsePeerConfig({ id: 'p', authToken: '', routes: [{ prefix: 'g.p' }] }),
      url: 'http://x',
    };
    await assert.rejects(manager.add(peer), /must be ws\(s\)/);
    assert.deepEqual(await state(), before);
    assert.equal(ledger.hasAccount('peer:p'), false);
    await ledger.close();
  });

  it('a child whose address would pass 1023 characters: refused before anything changes', async () => {
    const { manager, state, ledger } = await realParts();
    (manager as unknown as { d: { address: () => string } }).d.address = () => `g.${'a'.repeat(1015)}`;
    const before = await state();
    const child = parsePeerConfig({ id: 'p'.repeat(20), authToken: '', relation: 'child' });
    await assert.rejects(manager.add(child), /longer than 1023/);
    assert.deepEqual(await state(), before);
    await ledger.close();
  });

  it('the ledger refusing the account: nothing else was done', async () => {
    const { manager, state, ledger } = await realParts();
    const before = await state();
    ledger.createAccount = async () => {
      throw new Error('disk full');
    };
    await assert.rejects(
      manager.add(
        parsePeerConfig({ id: 'p', authToken: '', relation: 'child', routes: [{ prefix: 'g.p' }] }),
      ),
      /disk full/,
    );
    assert.deepEqual(await state(), before);
    await ledger.close();
  });

  it('the table refusing midway anyway: exactly the routes this add made are undone', async () => {
    // The manager believes there is room (its bound is larger than the table's): the second
    // route throws inside the apply step, which must undo the first and keep everything else.
    const { manager, routes, state, links, ledger } = await realParts(3, 100);
    await manager.add(parsePeerConfig({ id: 'a', authToken: '', routes: [{ prefix: 'g.shared' }] }));
    routes.addRoute('g.b', 'a');
    const before = await state();
    const peer = parsePeerConfig({
      id: 'p',
      authToken: '',
      routes: [{ prefix: 'g.shared', priority: 5 }, { prefix: 'g.p2' }],
    });
    await assert.rejects(manager.add(peer), /routing table is full/);
    const after = await state();
    assert.deepEqual(after.routes, before.routes, 'the other peer keeps g.shared as the winner');
    assert.deepEqual(after.peers, before.peers);
    assert.equal(links.hasPeer('p'), false);
    assert.equal(routes.lookup('g.shared.x')?.nextHop, 'a');
    await ledger.close();
  });

  it('a peer whose link id is taken: the link step throws, nothing of the add stays', async () => {
    const { manager, links, state, ledger } = await realParts();
    links.addPeer({ id: 'p', authToken: '' }); // a stale link the registry does not know
    const before = await state();
    await assert.rejects(
      manager.add(
        parsePeerConfig({ id: 'p', authToken: '', relation: 'child', routes: [{ prefix: 'g.p' }] }),
      ),
      /already exists/,
    );
    const after = await state();
    assert.deepEqual(after.peers, before.peers);
    assert.deepEqual(after.routes, before.routes);
    await ledger.close();
  });
});
