/**
 * Per-hop notifications over HTTP: a standalone node in the middle POSTs a copy of each transit
 * packet to its BLS (isTransit: true) and never waits for it: a BLS that does not answer at all
 * does not delay forwarding. Final-hop packets addressed to the middle node itself still go to
 * the BLS and wait for its answer.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ConnectorNode } from '../../src/index.js';
import { baseConfig, btpUrl, makeNode, sendData, waitConnected } from '../helpers/nodes.js';
import { TestBls } from '../helpers/test-bls.js';

describe('per-hop notifications to a BLS', () => {
  const bls = new TestBls();
  let a: ConnectorNode;
  let b: ConnectorNode;
  let c: ConnectorNode;

  before(async () => {
    const handlerUrl = await bls.listen();
    bls.holdTransit = true;
    c = makeNode(baseConfig('c', { peers: [{ id: 'b', authToken: '' }] }));
    await c.start();
    b = makeNode(
      baseConfig('b', {
        localDelivery: { enabled: true, handlerUrl, perHopNotification: true, timeout: 2000 },
        peers: [
          { id: 'a', authToken: '' },
          { id: 'c', url: btpUrl(c), authToken: '' },
        ],
        routes: [{ prefix: 'g.c', nextHop: 'c' }],
      }),
    );
    await b.start();
    a = makeNode(
      baseConfig('a', {
        peers: [{ id: 'b', url: btpUrl(b), authToken: '' }],
        routes: [{ prefix: 'g', nextHop: 'b' }],
      }),
    );
    await a.start();
    await Promise.all([waitConnected(a, 'b'), waitConnected(b, 'c'), waitConnected(c, 'b')]);
    c.setPacketHandler(() => ({ accept: true }));
  });

  after(async () => {
    await a?.stop();
    await b?.stop();
    await c?.stop();
    await bls.close();
  });

  it('forwards without waiting for the notification, which the BLS receives marked isTransit', async () => {
    const reply = await sendData(a, 'g.c.shop', 42n, 'transit-1');
    assert.equal(reply.type, 13, 'fulfilled while the notification is unanswered');
    const copy = await bls.waitFor((r) => r.body.isTransit === true);
    assert.equal(copy.body.destination, 'g.c.shop');
    assert.equal(copy.body.amount, '42');
    assert.equal(copy.body.sourcePeer, 'a');
    assert.equal(bls.heldCount, 1, 'the BLS still holds it');
  });

  it('delivers packets for the middle node itself to the BLS and waits for its answer', async () => {
    const reply = await sendData(a, 'g.b.desk', 5n, 'accept: for b');
    assert.equal(reply.type, 13);
    const seen = await bls.waitFor((r) => r.body.destination === 'g.b.desk');
    assert.equal(seen.body.isTransit, undefined);
  });
});
