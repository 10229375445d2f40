/** Reconnect, keepalive, socket loss, removePeer and stop. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { WebSocketServer } from 'ws';
import { authProtocolData } from '../../src/btp/auth.js';
import { LinkManager } from '../../src/btp/link-manager.js';
import { CLOSE_CODE } from '../../src/btp/types.js';
import { BTP_TYPE, decodeBtpPacket, encodeBtpPacket } from '../../src/codec/btp.js';
import { silentLogger } from '../../src/utils/logger.js';
import {
  assertNoLeaks,
  countResources,
  HOST,
  hasCode,
  ilpEntry,
  linkUp,
  nextEvent,
  RawClient,
  startManager,
  textOf,
} from './helpers.js';

/** A BTP "peer" that accepts any auth and never pongs (ws autoPong: false). */
async function deafServer(): Promise<{ port: number; wss: WebSocketServer; stop: () => Promise<void> }> {
  const wss = new WebSocketServer({ port: 0, host: HOST, autoPong: false, perMessageDeflate: false });
  await once(wss, 'listening');
  wss.on('connection', (ws) => {
    ws.on('message', (data: Buffer) => {
      const packet = decodeBtpPacket(data);
      ws.send(encodeBtpPacket({ type: BTP_TYPE.response, requestId: packet.requestId, protocolData: [] }));
    });
  });
  const address = wss.address();
  assert.ok(typeof address === 'object' && address !== null);
  const stop = async () => {
    for (const ws of wss.clients) ws.terminate();
    await new Promise((resolve) => wss.close(resolve));
  };
  return { port: address.port, wss, stop };
}

describe('reconnect', { timeout: 10_000 }, () => {
  it('re-dials a restarted peer and the link comes back (link-up again)', async () => {
    const b1 = await startManager({ nodeId: 'b' });
    b1.addPeer({ id: 'a', authToken: 't' });
    const port = b1.port;
    const a = await startManager({ nodeId: 'a' });
    let ups = 0;
    a.on('link-up', () => ups++);
    a.addPeer({ id: 'b', url: `ws://127.0.0.1:${port}`, authToken: 't' });
    let b2: Awaited<ReturnType<typeof startManager>> | undefined;
    try {
      await linkUp(a, 'b');
      const down = nextEvent(a, 'link-down', (id) => id === 'b');
      await b1.stop();
      await down;
      await assert.rejects(a.request('b', []), hasCode('ERR_BTP_CLOSED'));
      const upAgain = nextEvent(a, 'link-up', (id) => id === 'b');
      b2 = await startManager({ nodeId: 'b', port });
      b2.addPeer({ id: 'a', authToken: 't' });
      await upAgain;
      assert.equal(ups, 2);
      assert.equal(textOf(await a.request('b', [ilpEntry('back')])), 'a>back');
    } finally {
      await Promise.all([a.stop(), b1.stop(), b2?.stop()]);
    }
  });
});

describe('keepalive', { timeout: 10_000 }, () => {
  it('terminates a dialed socket whose peer never pongs, then re-dials', async () => {
    const deaf = await deafServer();
    const a = await startManager({ nodeId: 'a', limits: { keepaliveIntervalMs: 50 } });
    a.addPeer({ id: 'deaf', url: `ws://127.0.0.1:${deaf.port}`, authToken: '' });
    try {
      await linkUp(a, 'deaf');
      await nextEvent(a, 'link-down', (id) => id === 'deaf');
      await nextEvent(a, 'link-up', (id) => id === 'deaf');
    } finally {
      await a.stop();
      await deaf.stop();
    }
  });

  it('terminates an accepted socket that never pongs, keeps one that does', async () => {
    const b = await startManager({ nodeId: 'b', limits: { keepaliveIntervalMs: 50 } });
    b.addPeer({ id: 'a', authToken: 't' });
    const live = await RawClient.authed(b.port, 'a', 't');
    const deafClient = await RawClient.open(b.port, { autoPong: false });
    try {
      const auth = await deafClient.request(authProtocolData('a', 't'));
      assert.equal(auth.type, BTP_TYPE.response);
      let pings = 0;
      const fourPings = new Promise<void>((resolve) =>
        live.ws.on('ping', () => {
          if (++pings === 4) resolve();
        }),
      );
      assert.equal(await deafClient.closed, 1006, 'terminated, no closing handshake');
      await fourPings;
      assert.equal(live.isOpen, true);
      assert.equal(b.isConnected('a'), true);
    } finally {
      await Promise.all([live.close(), deafClient.close()]);
      await b.stop();
    }
  });
});

describe('losing sockets and peers', { timeout: 10_000 }, () => {
  it('rejects requests in flight on a socket that closes at once (ERR_BTP_CLOSED)', async () => {
    const b = await startManager({ nodeId: 'b' });
    b.addPeer({ id: 'a', authToken: 't' });
    const raw = await RawClient.authed(b.port, 'a', 't');
    try {
      const pending = b.request('a', [ilpEntry('never answered')]);
      await raw.take((p) => p.type === BTP_TYPE.message);
      raw.ws.terminate();
      await assert.rejects(pending, hasCode('ERR_BTP_CLOSED'));
      assert.equal(b.isConnected('a'), false);
    } finally {
      await raw.close();
      await b.stop();
    }
  });

  it('keeps at most maxSocketsPerPeer sockets, closing the oldest', async () => {
    const b = await startManager({ nodeId: 'b', limits: { maxSocketsPerPeer: 2 } });
    b.addPeer({ id: 'a', authToken: 't' });
    const sockets = [
      await RawClient.authed(b.port, 'a', 't'),
      await RawClient.authed(b.port, 'a', 't'),
      await RawClient.authed(b.port, 'a', 't'),
    ];
    try {
      assert.equal(await sockets[0]!.closed, CLOSE_CODE.normal);
      assert.equal(sockets[2]!.isOpen && sockets[1]!.isOpen, true);
    } finally {
      await Promise.all(sockets.map((s) => s.close()));
      await b.stop();
    }
  });

  it('a socket replaced by a newer one still delivers the answer to a request in flight on it', async () => {
    const b = await startManager({ nodeId: 'b', limits: { maxSocketsPerPeer: 1 } });
    b.addPeer({ id: 'a', authToken: 't' });
    const first = await RawClient.authed(b.port, 'a', 't');
    let second: RawClient | undefined;
    try {
      await linkUp(b, 'a');
      const pending = b.request('a', [ilpEntry('in flight')]);
      const asked = await first.take((p) => p.type === BTP_TYPE.message);
      second = await RawClient.authed(b.port, 'a', 't');
      // The old socket is retiring, not closed: the answer on it still arrives.
      assert.equal(first.isOpen, true);
      first.send({ type: BTP_TYPE.response, requestId: asked.requestId, protocolData: [ilpEntry('paid')] });
      assert.equal(textOf(await pending), 'paid');
      assert.equal(await first.closed, CLOSE_CODE.normal);
      assert.equal(second.isOpen, true);
    } finally {
      await first.close();
      await second?.close();
      await b.stop();
    }
  });

  it('closes new sockets at once while maxUnauthenticatedSockets are waiting to authenticate', async () => {
    const b = await startManager({ nodeId: 'b', limits: { maxUnauthenticatedSockets: 2 } });
    b.addPeer({ id: 'a', authToken: 't' });
    const waiting = [await RawClient.open(b.port), await RawClient.open(b.port)];
    const extra = await RawClient.open(b.port);
    let late: RawClient | undefined;
    try {
      assert.equal(await extra.closed, CLOSE_CODE.tryAgainLater);
      // Once one of them has authenticated (its answer is here), a place is free again.
      const answer = await waiting[0]!.request(authProtocolData('a', 't'));
      assert.equal(answer.type, BTP_TYPE.response);
      late = await RawClient.authed(b.port, 'a', 't');
      assert.equal(late.isOpen, true);
    } finally {
      await Promise.all([...waiting, extra].map((c) => c.close()));
      await late?.close();
      await b.stop();
    }
  });

  it('removePeer stops dialing, closes the link and rejects in-flight requests (ERR_BTP_CLOSED)', async () => {
    const b = await startManager({ nodeId: 'b', onRequest: () => new Promise(() => undefined) });
    b.addPeer({ id: 'a', authToken: 't' });
    const a = await startManager({ nodeId: 'a' });
    a.addPeer({ id: 'b', url: `ws://127.0.0.1:${b.port}`, authToken: 't' });
    try {
      await Promise.all([linkUp(a, 'b'), linkUp(b, 'a')]);
      const pending = a.request('b', [ilpEntry('stuck')]);
      const aDown = nextEvent(a, 'link-down', (id) => id === 'b');
      const bDown = nextEvent(b, 'link-down', (id) => id === 'a');
      const removed = a.removePeer('b');
      await assert.rejects(pending, hasCode('ERR_BTP_CLOSED'));
      await Promise.all([removed, aDown, bDown]);
      assert.equal(a.hasPeer('b'), false);
      await assert.rejects(a.request('b', []), hasCode('ERR_PEER_UNKNOWN'));
      await a.removePeer('b');
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('stop rejects in-flight requests (ERR_BTP_CLOSED) and leaves no handles behind', async () => {
    const baseline = countResources();
    const b = await startManager({ nodeId: 'b', onRequest: () => new Promise(() => undefined) });
    b.addPeer({ id: 'a', authToken: 't' });
    const a = await startManager({ nodeId: 'a' });
    a.addPeer({ id: 'b', url: `ws://127.0.0.1:${b.port}`, authToken: 't' });
    a.addPeer({ id: 'nowhere', url: 'ws://127.0.0.1:1', authToken: 't' });
    await Promise.all([linkUp(a, 'b'), linkUp(b, 'a')]);
    const pending = [a.request('b', [ilpEntry('1')]), a.request('b', [ilpEntry('2')])];
    const rejected = pending.map((p) => assert.rejects(p, hasCode('ERR_BTP_CLOSED')));
    const half = await RawClient.open(b.port);
    await a.stop();
    await b.stop();
    await a.stop();
    await Promise.all(rejected);
    await half.close();
    assert.throws(() => a.addPeer({ id: 'late', authToken: '' }), hasCode('ERR_BTP_CLOSED'));
    await assertNoLeaks(baseline);
  });

  it('start is shared, stop during start leaves nothing listening, a busy port rejects start', async () => {
    const baseline = countResources();
    const opts = {
      nodeId: 'x',
      port: 0,
      host: HOST,
      logger: silentLogger(),
      allowNoAuth: false,
      secretFor: () => undefined,
      onRequest: () => [],
    };
    const m = new LinkManager(opts);
    const first = m.start();
    assert.equal(m.start(), first);
    const stopped = m.stop();
    await first;
    await stopped;
    await assert.rejects(m.start(), hasCode('ERR_BTP_CLOSED'));
    const holder = await startManager({ nodeId: 'holder' });
    const clash = new LinkManager({ ...opts, port: holder.port });
    await assert.rejects(clash.start(), /EADDRINUSE/);
    await clash.stop();
    await holder.stop();
    await assertNoLeaks(baseline);
  });
});
