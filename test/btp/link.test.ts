import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BtpRemoteError } from '../../src/btp/remote-error.js';
import { BTP_TYPE, type BtpPacket } from '../../src/codec/btp.js';
import { echo, hasCode, ilpEntry, linkUp, nextEvent, RawClient, startManager, textOf } from './helpers.js';

const utf8 = new TextEncoder();
const text = new TextDecoder();

describe('two LinkManagers (A dials B)', { timeout: 10_000 }, () => {
  it('carries requests both ways and emits link-up on both sides', async () => {
    const b = await startManager({ nodeId: 'b' });
    b.addPeer({ id: 'a', authToken: 'secret-ab' });
    const bUp = linkUp(b, 'a');
    const a = await startManager({ nodeId: 'a' });
    const aUp = linkUp(a, 'b');
    a.addPeer({ id: 'b', url: `btp+ws://127.0.0.1:${b.port}`, authToken: 'secret-ab' });
    try {
      await Promise.all([aUp, bUp]);
      assert.equal(a.isConnected('b'), true);
      assert.equal(b.isConnected('a'), true);
      assert.equal(textOf(await a.request('b', [ilpEntry('hello')])), 'a>hello');
      assert.equal(textOf(await b.request('a', [ilpEntry('hi')])), 'b>hi');
      assert.equal(text.decode(await a.sendIlp('b', utf8.encode('p1'))), 'a>p1');
      assert.equal(text.decode(await b.sendIlp('a', utf8.encode('p2'))), 'b>p2');
      const many = await Promise.all(
        Array.from({ length: 200 }, (_, i) => a.sendIlp('b', utf8.encode(`${i}`))),
      );
      assert.deepEqual(
        many.map((bytes) => text.decode(bytes)),
        Array.from({ length: 200 }, (_, i) => `a>${i}`),
      );
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('maps handler throws to BTP Errors and ILP-less answers to ERR_BTP_PROTOCOL', async () => {
    const b = await startManager({
      nodeId: 'b',
      onRequest: async (_peer, packet) => {
        const what = textOf(packet.protocolData);
        if (what === 'remote') throw new BtpRemoteError('T04', 'InsufficientLiquidity', 'no money');
        if (what === 'plain') throw new Error('handler broke');
        if (what === 'bad-name')
          return [{ protocolName: 'bad\u0001name', contentType: 0, data: new Uint8Array(0) }];
        return [];
      },
    });
    b.addPeer({ id: 'a', authToken: 't' });
    const a = await startManager({ nodeId: 'a' });
    a.addPeer({ id: 'b', url: `ws://127.0.0.1:${b.port}`, authToken: 't' });
    try {
      await linkUp(a, 'b');
      await assert.rejects(a.request('b', [ilpEntry('remote')]), (err: unknown) => {
        assert.ok(err instanceof BtpRemoteError);
        assert.equal(err.code, 'ERR_BTP_REMOTE');
        assert.equal(err.btpCode, 'T04');
        assert.equal(err.btpName, 'InsufficientLiquidity');
        assert.equal(err.btpData, 'no money');
        return true;
      });
      await assert.rejects(a.request('b', [ilpEntry('plain')]), (err: unknown) => {
        assert.ok(err instanceof BtpRemoteError);
        assert.equal(err.btpCode, 'F00');
        assert.equal(err.btpName, 'NotAcceptedError');
        assert.equal(err.btpData, 'handler broke');
        return true;
      });
      await assert.rejects(a.request('b', [ilpEntry('bad-name')]), (err: unknown) => {
        assert.ok(err instanceof BtpRemoteError && err.btpCode === 'F00');
        return true;
      });
      await assert.rejects(a.sendIlp('b', utf8.encode('empty')), hasCode('ERR_BTP_PROTOCOL'));
      assert.equal(a.isConnected('b'), true, 'errors do not take the link down');
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('works when both sides dial each other: one link over two sockets', async () => {
    const a = await startManager({ nodeId: 'a' });
    const b = await startManager({ nodeId: 'b' });
    const twoOnA = nextEvent(a, 'link-sockets', (peer, count) => peer === 'b' && count === 2);
    const twoOnB = nextEvent(b, 'link-sockets', (peer, count) => peer === 'a' && count === 2);
    let ups = 0;
    a.on('link-up', () => ups++);
    a.addPeer({ id: 'b', url: `ws://127.0.0.1:${b.port}`, authToken: 'ab' });
    b.addPeer({ id: 'a', url: `ws://127.0.0.1:${a.port}`, authToken: 'ab' });
    try {
      await Promise.all([twoOnA, twoOnB]);
      assert.equal(ups, 1);
      assert.equal(textOf(await a.request('b', [ilpEntry('x')])), 'a>x');
      assert.equal(textOf(await b.request('a', [ilpEntry('y')])), 'b>y');
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('rejects unknown peers with ERR_PEER_UNKNOWN and unconnected ones with ERR_BTP_CLOSED', async () => {
    const a = await startManager({ nodeId: 'a' });
    try {
      await assert.rejects(a.request('nobody', []), hasCode('ERR_PEER_UNKNOWN'));
      a.addPeer({ id: 'c', authToken: 'x' });
      assert.equal(a.hasPeer('c'), true);
      assert.equal(a.isConnected('c'), false);
      await assert.rejects(a.sendIlp('c', new Uint8Array(1)), hasCode('ERR_BTP_CLOSED'));
      assert.throws(() => a.addPeer({ id: 'c', authToken: 'y' }), hasCode('ERR_PEER_EXISTS'));
      assert.throws(
        () => a.addPeer({ id: 'd', url: 'http://x', authToken: '' }),
        hasCode('ERR_INVALID_ARGUMENT'),
      );
      assert.throws(() => a.addPeer({ id: '', authToken: '' }), hasCode('ERR_INVALID_ARGUMENT'));
    } finally {
      await a.stop();
    }
  });
});

describe('one link over several sockets', { timeout: 10_000 }, () => {
  it('answers on the socket a request came on and sends on the newest open socket', async () => {
    const seen: string[] = [];
    const b = await startManager({
      nodeId: 'b',
      onRequest: (peerId, packet) => {
        seen.push(textOf(packet.protocolData) ?? '');
        return echo(peerId, packet);
      },
    });
    b.addPeer({ id: 'a', authToken: 'tok' });
    const s1 = await RawClient.authed(b.port, 'a', 'tok');
    const s2 = await RawClient.authed(b.port, 'a', 'tok');
    try {
      assert.equal(b.socketCount('a'), 2);
      // Same requestId on both sockets: each answer must come back on its own socket.
      const [r1, r2] = await Promise.all([
        s1.request([ilpEntry('one')], 7),
        s2.request([ilpEntry('two')], 7),
      ]);
      assert.equal(textOf(responseData(r1)), 'a>one');
      assert.equal(textOf(responseData(r2)), 'a>two');

      const pending = b.request('a', [ilpEntry('to-newest')]);
      const onS2 = await s2.take((p) => p.type === BTP_TYPE.message);
      s2.send({ type: BTP_TYPE.response, requestId: onS2.requestId, protocolData: [ilpEntry('from-s2')] });
      assert.equal(textOf(await pending), 'from-s2');
      assert.equal(s1.unclaimed.length, 0, 'nothing went to the older socket');

      let downs = 0;
      b.on('link-down', () => downs++);
      const oneLeft = nextEvent(b, 'link-sockets', (peer, count) => peer === 'a' && count === 1);
      await s2.close();
      await oneLeft;
      assert.equal(b.isConnected('a'), true, 'the link stays up while a socket is open');
      const next = b.request('a', [ilpEntry('to-s1')]);
      const onS1 = await s1.take((p) => p.type === BTP_TYPE.message);
      s1.send({ type: BTP_TYPE.response, requestId: onS1.requestId, protocolData: [ilpEntry('from-s1')] });
      assert.equal(textOf(await next), 'from-s1');
      assert.equal(downs, 0);

      const down = nextEvent(b, 'link-down', (peer) => peer === 'a');
      await s1.close();
      await down;
      assert.equal(b.isConnected('a'), false);
    } finally {
      await Promise.all([s1.close(), s2.close()]);
      await b.stop();
    }
    assert.deepEqual(seen, ['one', 'two']);
  });
});

function responseData(packet: BtpPacket) {
  assert.equal(packet.type, BTP_TYPE.response);
  return packet.protocolData;
}
