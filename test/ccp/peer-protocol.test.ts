/**
 * CCP at one node's edge, with ilp-plugin-btp neighbours speaking the reference codec
 * (ilp-protocol-ccp): who may send what (children and peers with the switches off get F00), bad
 * messages (F01), CCP off (F02), what the node advertises to a neighbour that asks (its address,
 * never a route back to the neighbour it came from, not a prefix a shorter one covers: DRAGON),
 * and hold-down expiry of a silent neighbour.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import type { ConnectorNode } from '../../src/index.js';
import { baseConfig, makeNode, waitConnected } from '../helpers/nodes.js';
import { type BtpPlugin, dialPlugin, IlpPacket } from '../helpers/plugins.js';

const require = createRequire(import.meta.url);
interface ReferenceUpdate {
  speaker: string;
  fromEpochIndex: number;
  toEpochIndex: number;
  holdDownTime: number;
  newRoutes: { prefix: string; path: string[] }[];
  withdrawnRoutes: string[];
}
const ccp = require('ilp-protocol-ccp') as {
  serializeCcpRouteUpdateRequest(u: unknown): Buffer;
  serializeCcpRouteControlRequest(c: unknown): Buffer;
  serializeCcpResponse(): Buffer;
  deserializeCcpRouteUpdateRequest(b: Buffer): ReferenceUpdate;
  deserializeCcpRouteControlRequest(b: Buffer): { mode: number; lastKnownEpoch: number };
};

async function waitFor(ready: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const started = Date.now();
  while (!ready()) {
    if (Date.now() - started > timeoutMs) throw new Error(`not ${what} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A neighbour that records the CCP messages the node sends it and answers them. */
function neighbour(plugin: BtpPlugin) {
  const updates: ReferenceUpdate[] = [];
  let controls = 0;
  plugin.registerDataHandler(async (bytes) => {
    const prepare = IlpPacket.deserializeIlpPrepare(bytes);
    if (prepare.destination === 'peer.route.update')
      updates.push(ccp.deserializeCcpRouteUpdateRequest(bytes));
    if (prepare.destination === 'peer.route.control') {
      ccp.deserializeCcpRouteControlRequest(bytes);
      controls++;
    }
    return ccp.serializeCcpResponse();
  });
  return { plugin, updates, controls: () => controls };
}

function update(prefixes: string[], speaker: string, holdDownTime = 60_000, from = 0): Buffer {
  return ccp.serializeCcpRouteUpdateRequest({
    routingTableId: randomUUID(),
    currentEpochIndex: from + prefixes.length,
    fromEpochIndex: from,
    toEpochIndex: from + prefixes.length,
    holdDownTime,
    speaker,
    newRoutes: prefixes.map((prefix) => ({ prefix, path: [speaker], auth: Buffer.alloc(32), props: [] })),
    withdrawnRoutes: [],
  });
}

function rejectCode(reply: Buffer): string | undefined {
  return reply[0] === 14 ? IlpPacket.deserializeIlpReject(reply).code : undefined;
}

describe('CCP at the edge of one node', { timeout: 30_000 }, () => {
  let node: ConnectorNode;
  let off: ConnectorNode;
  const plugins: BtpPlugin[] = [];

  before(async () => {
    node = makeNode(
      baseConfig('n', {
        peers: [
          { id: 'p', authToken: 'p' },
          { id: 'kid', authToken: 'kid', relation: 'child' },
          { id: 'q', authToken: 'q', sendRoutes: false, receiveRoutes: false },
          { id: 'r', authToken: 'r' },
          { id: 'silent', authToken: 'silent' },
        ],
        ccp: { enabled: true, cleanupIntervalMs: 50 },
      }),
    );
    await node.start();
    off = makeNode(baseConfig('off', { peers: [{ id: 'p', authToken: 'p' }] }));
    await off.start();
  });

  after(async () => {
    for (const p of plugins) await p.disconnect();
    await node?.stop();
    await off?.stop();
  });

  const byId = new Map<string, ReturnType<typeof neighbour>>();
  async function dial(target: ConnectorNode, id: string) {
    const plugin = await dialPlugin(target.btpPort, id, id);
    plugins.push(plugin);
    await waitConnected(target, id);
    const n = neighbour(plugin);
    byId.set(id, n);
    return n;
  }
  const syncFromStart = () =>
    ccp.serializeCcpRouteControlRequest({
      mode: 1,
      lastKnownRoutingTableId: '00000000-0000-0000-0000-000000000000',
      lastKnownEpoch: 0,
      features: [],
    });

  it('refuses routes from a child and from a peer with the switches off (F00), and CCP when off (F02)', async () => {
    const kid = await dial(node, 'kid');
    const q = await dial(node, 'q');
    for (const n of [kid, q]) {
      assert.equal(rejectCode(await n.plugin.sendData(update(['g.evil'], 'g.evil'))), 'F00');
      const control = ccp.serializeCcpRouteControlRequest({
        mode: 1,
        lastKnownRoutingTableId: randomUUID(),
        lastKnownEpoch: 0,
        features: [],
      });
      assert.equal(rejectCode(await n.plugin.sendData(control)), 'F00');
    }
    assert.equal(
      node.listRoutes().find((r) => r.prefix === 'g.evil'),
      undefined,
    );
    const p = await dial(off, 'p');
    assert.equal(rejectCode(await p.plugin.sendData(update(['g.p'], 'g.p'))), 'F02');
  });

  it('refuses a malformed update or the wrong condition (F01) and learns a good one', async () => {
    const p = await dial(node, 'p');
    const good = update(['g.p', 'g.p.sub', 'g.n.mine'], 'g.p');
    const prepare = IlpPacket.deserializeIlpPrepare(good);
    const truncated = IlpPacket.serializeIlpPrepare({ ...prepare, data: prepare.data.subarray(0, 20) });
    assert.equal(rejectCode(await p.plugin.sendData(truncated)), 'F01');
    const wrongLock = IlpPacket.serializeIlpPrepare({ ...prepare, executionCondition: Buffer.alloc(32, 1) });
    assert.equal(rejectCode(await p.plugin.sendData(wrongLock)), 'F01');
    // A route through our own address is a loop: refused, the rest learned.
    const loop = ccp.serializeCcpRouteUpdateRequest({
      ...ccp.deserializeCcpRouteUpdateRequest(good),
      newRoutes: [{ prefix: 'g.loop', path: ['g.p', 'g.n', 'g.x'], auth: Buffer.alloc(32), props: [] }],
      fromEpochIndex: 3,
      toEpochIndex: 4,
      currentEpochIndex: 4,
    });
    assert.equal((await p.plugin.sendData(good))[0], 13);
    assert.equal((await p.plugin.sendData(loop))[0], 13);
    const learned = node.listRoutes().filter((r) => r.origin === 'learned');
    assert.deepEqual(
      learned.map((r) => [r.prefix, r.nextHop, r.path]),
      [
        ['g.p', 'p', ['g.p']],
        ['g.p.sub', 'p', ['g.p']],
      ],
      'g.n.mine lies under our address and g.loop passes through it',
    );
  });

  it('advertises its routes to a neighbour that asks, never a route back to it', async () => {
    const r = await dial(node, 'r');
    assert.equal((await r.plugin.sendData(syncFromStart()))[0], 13);
    await waitFor(
      () =>
        r.updates.some((u) => u.newRoutes.some((x) => x.prefix === 'g.p')) &&
        r.updates.some((u) => u.withdrawnRoutes.includes('g.p.sub')),
      5000,
      'advertised',
    );
    const first = r.updates[0]!;
    assert.equal(first.speaker, 'g.n');
    assert.equal(first.fromEpochIndex, 0);
    assert.equal(first.holdDownTime, 45_000);
    const announced = new Map(r.updates.flatMap((u) => u.newRoutes.map((x) => [x.prefix, x.path] as const)));
    assert.deepEqual(announced.get('g.n'), ['g.n']);
    assert.deepEqual(announced.get('g.p'), ['g.n', 'g.p']);
    // DRAGON (as ilp-connector): g.p.sub goes through the same relation as g.p, which covers it.
    assert.ok(!announced.has('g.p.sub'), 'g.p.sub is covered by g.p');
    assert.ok(!announced.has(''), 'no default route');

    // p taught us g.p.sub: to p it is a withdrawal (split horizon), our own address is news.
    const p = byId.get('p')!;
    assert.equal((await p.plugin.sendData(syncFromStart()))[0], 13);
    await waitFor(
      () => p.updates.some((u) => u.newRoutes.some((x) => x.prefix === 'g.n')),
      5000,
      'advertised to p',
    );
    assert.ok(p.updates.every((u) => u.newRoutes.every((x) => !x.prefix.startsWith('g.p'))));
    assert.ok(p.updates.some((u) => u.withdrawnRoutes.includes('g.p.sub')));
  });

  it("drops a silent neighbour's routes after its hold-down time and asks it again", async () => {
    const silent = await dial(node, 'silent');
    const before = silent.controls();
    assert.equal((await silent.plugin.sendData(update(['g.quiet'], 'g.silent', 300)))[0], 13);
    assert.equal(node.listRoutes().find((r) => r.prefix === 'g.quiet')?.nextHop, 'silent');
    const started = Date.now();
    await waitFor(() => node.listRoutes().every((r) => r.prefix !== 'g.quiet'), 5000, 'expired');
    assert.ok(Date.now() - started >= 200, 'not before its hold-down time');
    await waitFor(() => silent.controls() > before, 5000, 'asked again');
  });
});
