/**
 * Three of our nodes in a line, A - B - C: an embedded sender at A, an embedded handler at C.
 * Every hop's balances match what was fulfilled; a reject leaves every balance unchanged.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ConnectorNode, PeerAccountBalance } from '../../src/index.js';
import { baseConfig, btpUrl, dataLock, hashLock, makeNode, waitConnected } from '../helpers/nodes.js';

function net(b: PeerAccountBalance): bigint {
  return b.netBalance;
}

describe('three nodes in a line', () => {
  let a: ConnectorNode;
  let b: ConnectorNode;
  let c: ConnectorNode;
  const received: Array<{ amount: string; sourcePeer: string; destination: string }> = [];

  before(async () => {
    c = makeNode(
      baseConfig('c', { peers: [{ id: 'b', authToken: 'bc' }], routes: [{ prefix: 'g.a', nextHop: 'b' }] }),
    );
    await c.start();
    b = makeNode(
      baseConfig('b', {
        peers: [
          { id: 'a', authToken: 'ab' },
          { id: 'c', url: btpUrl(c), authToken: 'bc' },
        ],
        routes: [
          { prefix: 'g.c', nextHop: 'c' },
          { prefix: 'g.a', nextHop: 'a' },
        ],
      }),
    );
    await b.start();
    a = makeNode(
      baseConfig('a', {
        peers: [{ id: 'b', url: btpUrl(b), authToken: 'ab' }],
        routes: [{ prefix: 'g.c', nextHop: 'b' }],
      }),
    );
    await a.start();
    await Promise.all([
      waitConnected(a, 'b'),
      waitConnected(b, 'a'),
      waitConnected(b, 'c'),
      waitConnected(c, 'b'),
    ]);
    c.setPacketHandler(async (request) => {
      received.push({
        amount: request.amount,
        sourcePeer: request.sourcePeer,
        destination: request.destination,
      });
      if (request.destination.endsWith('.long'))
        return { accept: false, rejectReason: { code: 'F99', message: 'é'.repeat(10_000) } };
      if (request.destination.endsWith('.refuse'))
        return { accept: false, rejectReason: { code: 'invalid_amount', message: 'no thanks' } };
      return { accept: true, data: Buffer.from('thanks').toString('base64') };
    });
  });

  after(async () => {
    await a?.stop();
    await b?.stop();
    await c?.stop();
  });

  it('delivers, fulfills, and books every hop', async () => {
    const data = Buffer.from('invoice-1');
    let total = 0n;
    for (const amount of [100n, 250n, 1n]) {
      const reply = await a.sendPacket({
        destination: 'g.c.shop',
        amount,
        executionCondition: dataLock(data),
        expiresAt: new Date(Date.now() + 10_000),
        data,
      });
      assert.equal(reply.type, 13, `expected Fulfill, got ${JSON.stringify(reply)}`);
      assert.equal(Buffer.from(reply.data).toString(), 'thanks');
      total += amount;
    }
    assert.deepEqual(
      received.map((r) => r.amount),
      ['100', '250', '1'],
    );
    assert.equal(received[0]!.sourcePeer, 'b');
    // A owes B, B owes C: net positions from each node's point of view.
    assert.equal(net(await a.getBalance('b')), total);
    assert.equal(net(await b.getBalance('a')), -total);
    assert.equal(net(await b.getBalance('c')), total);
    assert.equal(net(await c.getBalance('b')), -total);
    for (const [node, peer] of [
      [a, 'b'],
      [b, 'a'],
      [b, 'c'],
      [c, 'b'],
    ] as const) {
      const bal = await node.getBalance(peer);
      assert.equal(bal.pendingCredit + bal.pendingDebit, 0n);
    }
  });

  it('a reject leaves every balance unchanged and comes back from the far end', async () => {
    const snapshot = async () => [
      await a.getBalance('b'),
      await b.getBalance('a'),
      await b.getBalance('c'),
      await c.getBalance('b'),
    ];
    const before = await snapshot();
    const reply = await a.sendPacket({
      destination: 'g.c.refuse',
      amount: 500n,
      executionCondition: hashLock().condition,
      expiresAt: new Date(Date.now() + 10_000),
      data: Buffer.alloc(0),
    });
    assert.equal(reply.type, 14);
    if (reply.type === 14) {
      assert.equal(reply.code, 'F03');
      assert.equal(reply.triggeredBy, 'g.c');
      assert.equal(reply.message, 'no thanks');
    }
    assert.deepEqual(await snapshot(), before);
  });

  it('a handler accepting without a fulfillment under a real hash-lock is refused (F99), nothing booked', async () => {
    const before = await b.getBalance('c');
    const reply = await a.sendPacket({
      destination: 'g.c.shop',
      amount: 7n,
      executionCondition: hashLock().condition,
      expiresAt: new Date(Date.now() + 10_000),
    });
    assert.equal(reply.type, 14);
    if (reply.type === 14) assert.equal(reply.code, 'F99');
    assert.deepEqual(await b.getBalance('c'), before);
  });

  it('a far-future expiry is held no longer than maxHoldTime and still fulfills', async () => {
    const data = Buffer.from('far future');
    const before = (await b.getBalance('c')).netBalance;
    const reply = await a.sendPacket({
      destination: 'g.c.shop',
      amount: 9n,
      executionCondition: dataLock(data),
      expiresAt: new Date('9999-12-31T23:59:59.999Z'),
      data,
    });
    assert.equal(reply.type, 13, JSON.stringify(reply));
    assert.equal((await b.getBalance('c')).netBalance, before + 9n);
  });

  it('a reject message longer than RFC 27 allows is cut to 8191 bytes, not turned into an error', async () => {
    const reply = await a.sendPacket({
      destination: 'g.c.long',
      amount: 1n,
      executionCondition: hashLock().condition,
      expiresAt: new Date(Date.now() + 10_000),
    });
    assert.equal(reply.type, 14);
    if (reply.type === 14) {
      assert.equal(reply.code, 'F99');
      assert.ok(Buffer.byteLength(reply.message) <= 8191);
      assert.ok(reply.message.startsWith('éé'));
    }
  });
});
