/** start/stop, runtime peers and routes, and a graceful stop that answers packets in flight. */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ConnectorError, type ConnectorNode, ConnectorNotStartedError } from '../../src/index.js';
import { baseConfig, btpUrl, dataLock, makeNode, waitConnected, waitDisconnected } from '../helpers/nodes.js';

const nodes: ConnectorNode[] = [];
after(async () => {
  for (const n of nodes) await n.stop();
});

function node(id: string, extra = {}) {
  const n = makeNode(baseConfig(id, extra));
  nodes.push(n);
  return n;
}

describe('lifecycle', () => {
  it('refuses API calls before start and a second start', async () => {
    const n = node('early');
    await assert.rejects(
      n.sendPacket({
        destination: 'g.x.y',
        amount: 1n,
        executionCondition: Buffer.alloc(32),
        expiresAt: new Date(),
      }),
      ConnectorNotStartedError,
    );
    await n.start();
    await assert.rejects(
      n.start(),
      (err: unknown) => err instanceof ConnectorError && err.code === 'ERR_ALREADY_STARTED',
    );
    await n.stop();
    await n.stop(); // idempotent
  });

  it('stop() during start() waits for the start, then stops everything it started', async () => {
    const n = node('racer');
    const starting = n.start();
    await n.stop();
    await starting;
    await assert.rejects(
      n.sendPacket({
        destination: 'g.x.y',
        amount: 1n,
        executionCondition: Buffer.alloc(32),
        expiresAt: new Date(),
      }),
      ConnectorNotStartedError,
    );
  });

  it('peers and routes added at runtime carry traffic; removed, the next packet gets F02', async () => {
    const far = node('far');
    far.setPacketHandler(() => ({ accept: true }));
    await far.start();
    const near = node('near');
    await near.start();
    await near.registerPeer({ id: 'far', url: btpUrl(far), authToken: '', routes: [{ prefix: 'g.far' }] });
    await far.registerPeer({ id: 'near', authToken: '' });
    await waitConnected(near, 'far');
    const data = Buffer.from('x');
    const send = () =>
      near.sendPacket({
        destination: 'g.far.a',
        amount: 2n,
        executionCondition: dataLock(data),
        expiresAt: new Date(Date.now() + 5000),
        data,
      });
    assert.equal((await send()).type, 13);
    assert.deepEqual(
      near.listPeers().map((p) => [p.id, p.connected, p.ilpAddresses]),
      [['far', true, ['g.far']]],
    );
    const removed = await near.removePeer('far');
    assert.deepEqual(removed, { peerId: 'far', removed: true, removedRoutes: ['g.far'] });
    const after = await send();
    assert.equal(after.type, 14);
    if (after.type === 14) assert.equal(after.code, 'F02');
    // What the removed peer is owed stays in the ledger.
    assert.equal((await near.getBalance('far')).netBalance, 2n);
    await waitDisconnected(far, 'near');
  });

  it('stop() answers packets in flight before closing', async () => {
    const far = node('slow');
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let arrived: () => void = () => {};
    const arrival = new Promise<void>((r) => {
      arrived = r;
    });
    far.setPacketHandler(async () => {
      arrived();
      await gate;
      return { accept: true };
    });
    await far.start();
    const near = node('caller', {
      peers: [{ id: 'slow', url: btpUrl(far), authToken: '' }],
      routes: [{ prefix: 'g.slow', nextHop: 'slow' }],
    });
    await far.registerPeer({ id: 'caller', authToken: '' });
    await near.start();
    await waitConnected(near, 'slow');
    const data = Buffer.from('y');
    const pending = near.sendPacket({
      destination: 'g.slow.a',
      amount: 1n,
      executionCondition: dataLock(data),
      expiresAt: new Date(Date.now() + 10_000),
      data,
    });
    await arrival;
    let stopped = false;
    const stopping = far.stop().then(() => {
      stopped = true;
    });
    // stop() must still be waiting for the packet in flight a while later.
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(stopped, false, 'stop() resolved before the packet in flight was answered');
    release();
    await stopping;
    const reply = await pending;
    assert.equal(reply.type, 13, JSON.stringify(reply));
  });
});
