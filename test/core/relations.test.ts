/** Peer relations: a child learns its address from its parent by IL-DCP; default route up, child route down. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import type { ConnectorNode } from '../../src/index.js';
import { baseConfig, btpUrl, dataLock, makeNode, waitConnected } from '../helpers/nodes.js';

describe('parent and child', () => {
  let parent: ConnectorNode;
  let child: ConnectorNode;
  const atParent: string[] = [];
  const atChild: string[] = [];

  before(async () => {
    parent = makeNode(
      baseConfig('p', {
        ilpAddress: 'test.parent',
        peers: [{ id: 'kid', authToken: 't', relation: 'child' }],
      }),
    );
    await parent.start();
    child = makeNode(
      baseConfig('kid', { peers: [{ id: 'p', url: btpUrl(parent), authToken: 't', relation: 'parent' }] }),
    );
    const addressed = once(child, 'address');
    await child.start();
    await addressed;
    await waitConnected(parent, 'kid');
    parent.setPacketHandler((r) => {
      atParent.push(r.destination);
      return { accept: true };
    });
    child.setPacketHandler((r) => {
      atChild.push(r.destination);
      return { accept: true };
    });
  });

  after(async () => {
    await child?.stop();
    await parent?.stop();
  });

  it('the child takes <parent>.<id> by IL-DCP', () => {
    assert.equal(child.getIlpAddress(), 'test.parent.kid');
    assert.ok(child.listRoutes().some((r) => r.prefix === 'test.parent.kid' && r.nextHop === 'kid'));
    assert.ok(parent.listRoutes().some((r) => r.prefix === 'test.parent.kid' && r.nextHop === 'kid'));
  });

  it('routes up through the default route and down through the child route', async () => {
    const data = Buffer.from('up');
    const up = await child.sendPacket({
      destination: 'test.parent.shop',
      amount: 5n,
      executionCondition: dataLock(data),
      expiresAt: new Date(Date.now() + 5000),
      data,
    });
    assert.equal(up.type, 13);
    const down = await parent.sendPacket({
      destination: 'test.parent.kid.wallet',
      amount: 3n,
      executionCondition: dataLock(data),
      expiresAt: new Date(Date.now() + 5000),
      data,
    });
    assert.equal(down.type, 13);
    assert.deepEqual(atParent, ['test.parent.shop']);
    assert.deepEqual(atChild, ['test.parent.kid.wallet']);
    assert.equal((await child.getBalance('p')).netBalance, 5n - 3n);
    assert.equal((await parent.getBalance('kid')).netBalance, 3n - 5n);
  });

  it('a destination the parent cannot route does not bounce back to the child', async () => {
    const reply = await child.sendPacket({
      destination: 'g.unknown.place',
      amount: 1n,
      executionCondition: Buffer.alloc(32),
      expiresAt: new Date(Date.now() + 5000),
    });
    assert.equal(reply.type, 14);
    if (reply.type === 14) {
      assert.equal(reply.code, 'F02');
      assert.equal(reply.triggeredBy, 'test.parent');
    }
  });
});
