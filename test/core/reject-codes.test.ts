/**
 * Each reject of DESIGN §3 in its case, with triggeredBy = the node's own address.
 * Alice and Bob are ilp-plugin-btp clients (npm) dialing one of our nodes.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { ConnectorNode } from '../../src/index.js';
import { baseConfig, hashLock, makeNode, waitConnected } from '../helpers/nodes.js';
import { type BtpPlugin, dialPlugin, IlpPacket } from '../helpers/plugins.js';

const OWN = 'g.hub';

function prepare(
  destination: string,
  amount: string,
  opts: { expiresInMs?: number; condition?: Buffer; data?: Buffer } = {},
) {
  return IlpPacket.serializeIlpPrepare({
    amount,
    destination,
    expiresAt: new Date(Date.now() + (opts.expiresInMs ?? 10_000)),
    executionCondition: opts.condition ?? hashLock().condition,
    data: opts.data ?? Buffer.alloc(0),
  });
}

function asReject(reply: Buffer) {
  const packet = IlpPacket.deserializeIlpPacket(reply);
  assert.equal(packet.type, 14, `expected a Reject, got type ${packet.type}`);
  return IlpPacket.deserializeIlpReject(reply);
}

describe('reject codes', () => {
  let node: ConnectorNode;
  let alice: BtpPlugin;
  let bob: BtpPlugin;
  let bobHandler: (data: Buffer) => Promise<Buffer>;

  before(async () => {
    node = makeNode(
      baseConfig('hub', {
        peers: [
          {
            id: 'alice',
            authToken: 'a-secret',
            relation: 'child',
            maxPacketAmount: 1000n,
            balance: { maximum: 5000n },
          },
          { id: 'bob', authToken: 'b-secret', relation: 'child' },
          { id: 'carol', authToken: 'c-secret', relation: 'child' },
          { id: 'limited', authToken: 'l-secret', rateLimit: { packetsPerSecond: 0.001, burst: 1 } },
        ],
        routes: [{ prefix: 'g.elsewhere', nextHop: 'carol' }],
      }),
    );
    await node.start();
    bob = await dialPlugin(node.btpPort, 'bob', 'b-secret');
    bob.registerDataHandler((data) => bobHandler(data));
    alice = await dialPlugin(node.btpPort, 'alice', 'a-secret');
    alice.registerDataHandler(async () => Buffer.alloc(0));
    await Promise.all([waitConnected(node, 'alice'), waitConnected(node, 'bob')]);
  });

  after(async () => {
    await alice?.disconnect();
    await bob?.disconnect();
    await node?.stop();
  });

  it('F01 for bytes that are not a Prepare', async () => {
    const r = asReject(await alice.sendData(Buffer.from([12, 3, 1, 2])));
    assert.equal(r.code, 'F01');
    assert.equal(r.triggeredBy, OWN);
  });

  it('R02 for an expired Prepare and for one with too little time left', async () => {
    const expired = asReject(await alice.sendData(prepare(`${OWN}.bob`, '1', { expiresInMs: -1000 })));
    assert.equal(expired.code, 'R02');
    assert.equal(expired.triggeredBy, OWN);
    const short = asReject(await alice.sendData(prepare(`${OWN}.bob`, '1', { expiresInMs: 1500 })));
    assert.equal(short.code, 'R02');
  });

  it('IL-DCP answers children; other peer.* destinations get F02', async () => {
    const condition = createHash('sha256').update(Buffer.alloc(32)).digest();
    const reply = await alice.sendData(prepare('peer.config', '0', { condition }));
    assert.equal(IlpPacket.deserializeIlpPacket(reply).type, 13);
    const other = asReject(await alice.sendData(prepare('peer.route.control', '0')));
    assert.equal(other.code, 'F02');
    assert.equal(other.triggeredBy, OWN);
  });

  it('F08 above the peer maximum packet amount, with amounts in data', async () => {
    const r = asReject(await alice.sendData(prepare(`${OWN}.bob`, '1001')));
    assert.equal(r.code, 'F08');
    assert.equal(r.triggeredBy, OWN);
    assert.equal(r.data.readBigUInt64BE(0), 1001n);
    assert.equal(r.data.readBigUInt64BE(8), 1000n);
  });

  it('T05 when the peer rate limit is exhausted', async () => {
    const limited = await dialPlugin(node.btpPort, 'limited', 'l-secret');
    try {
      const first = IlpPacket.deserializeIlpPacket(await limited.sendData(prepare('g.nowhere.x', '1')));
      assert.notEqual(first.type === 14 ? (first.data.code as string) : '', 'T05');
      const second = asReject(await limited.sendData(prepare('g.nowhere.x', '1')));
      assert.equal(second.code, 'T05');
      assert.equal(second.triggeredBy, OWN);
    } finally {
      await limited.disconnect();
    }
  });

  it('F02 without a route, T01 when the next hop is down', async () => {
    const none = asReject(await alice.sendData(prepare('g.nowhere.x', '1')));
    assert.equal(none.code, 'F02');
    assert.equal(none.triggeredBy, OWN);
    const down = asReject(await alice.sendData(prepare('g.elsewhere.x', '1')));
    assert.equal(down.code, 'T01');
    assert.equal(down.triggeredBy, OWN);
  });

  it('F05 when the next hop fulfills with the wrong preimage, and balances do not move', async () => {
    const before = await node.getBalance('alice');
    bobHandler = async () =>
      IlpPacket.serializeIlpFulfill({ fulfillment: Buffer.alloc(32, 9), data: Buffer.alloc(0) });
    const r = asReject(await alice.sendData(prepare(`${OWN}.bob`, '10')));
    assert.equal(r.code, 'F05');
    assert.equal(r.triggeredBy, OWN);
    assert.deepEqual(await node.getBalance('alice'), before);
  });

  it('R00 with an amount voids the hold: nothing stays pending, nothing is booked', async () => {
    bobHandler = () => new Promise(() => {});
    const before = await node.getBalance('alice');
    const r = asReject(await alice.sendData(prepare(`${OWN}.bob`, '10', { expiresInMs: 2200 })));
    assert.equal(r.code, 'R00');
    const after = await node.getBalance('alice');
    assert.equal(after.pendingDebit, 0n);
    assert.equal(after.debitBalance, before.debitBalance);
  });

  it('T04 when the source would exceed its maximum balance (posted + pending)', async () => {
    const lock = hashLock();
    bobHandler = async () =>
      IlpPacket.serializeIlpFulfill({ fulfillment: lock.fulfillment, data: Buffer.alloc(0) });
    for (let i = 0; i < 5; i++) {
      const ok = IlpPacket.deserializeIlpPacket(
        await alice.sendData(prepare(`${OWN}.bob`, '1000', { condition: lock.condition })),
      );
      assert.equal(ok.type, 13);
    }
    const r = asReject(await alice.sendData(prepare(`${OWN}.bob`, '1', { condition: lock.condition })));
    assert.equal(r.code, 'T04');
    assert.equal(r.message, 'exceeded maximum balance.');
    assert.equal(r.triggeredBy, OWN);
    const balance = await node.getBalance('alice');
    assert.equal(balance.debitBalance, 5000n);
    assert.equal(balance.pendingDebit, 0n);
  });

  it('downstream rejects are relayed unchanged', async () => {
    bobHandler = async () =>
      IlpPacket.serializeIlpReject({
        code: 'F99',
        triggeredBy: 'g.far.away',
        message: 'nope',
        data: Buffer.from('why'),
      });
    const r = asReject(await alice.sendData(prepare('g.hub.bob', '0')));
    assert.deepEqual(
      { ...r },
      { code: 'F99', triggeredBy: 'g.far.away', message: 'nope', data: Buffer.from('why') },
    );
  });

  it('R00 when the next hop does not answer before the outgoing expiry', async () => {
    bobHandler = () => new Promise(() => {});
    const started = Date.now();
    const r = asReject(await alice.sendData(prepare(`${OWN}.bob`, '0', { expiresInMs: 2200 })));
    assert.equal(r.code, 'R00');
    assert.equal(r.triggeredBy, OWN);
    assert.ok(Date.now() - started < 2200, 'answered before the source expiry');
  });
});
