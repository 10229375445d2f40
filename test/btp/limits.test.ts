/** Bounds of the BTP layer: timeouts, in-flight requests both ways, frame sizes, bad frames. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LinkManager } from '../../src/btp/link-manager.js';
import { CLOSE_CODE } from '../../src/btp/types.js';
import { BTP_TYPE, type BtpPacket, encodeBtpPacket, type ProtocolData } from '../../src/codec/btp.js';
import { echo, hasCode, ilpEntry, linkUp, RawClient, startManager, textOf } from './helpers.js';

/** A handler that holds requests whose ilp is 'hold' until `release()`. */
function holdingHandler() {
  const held: (() => void)[] = [];
  let arrived: () => void = () => undefined;
  const handler = (peerId: string, packet: { protocolData: ProtocolData[] }) => {
    if (textOf(packet.protocolData) !== 'hold') return echo(peerId, packet);
    return new Promise<ProtocolData[]>((resolve) => {
      held.push(() => resolve([ilpEntry('released')]));
      arrived();
    });
  };
  return {
    handler,
    /** Resolves once `n` requests are held. */
    holding(n: number): Promise<void> {
      if (held.length >= n) return Promise.resolve();
      return new Promise((resolve) => {
        arrived = () => {
          if (held.length >= n) resolve();
        };
      });
    },
    release(): void {
      for (const f of held.splice(0)) f();
    },
  };
}

async function linkedPair(
  bOpts: Parameters<typeof startManager>[0],
  aLimits: Parameters<typeof startManager>[0]['limits'] = {},
): Promise<{ a: LinkManager; b: LinkManager }> {
  const b = await startManager(bOpts);
  b.addPeer({ id: 'a', authToken: 't' });
  const a = await startManager({ nodeId: 'a', limits: aLimits });
  a.addPeer({ id: 'b', url: `ws://127.0.0.1:${b.port}`, authToken: 't' });
  await linkUp(a, 'b');
  return { a, b };
}

describe('BTP limits', { timeout: 10_000 }, () => {
  it('rejects an unanswered request with ERR_BTP_TIMEOUT and ignores the late answer', async () => {
    const hold = holdingHandler();
    const { a, b } = await linkedPair({ nodeId: 'b', onRequest: hold.handler }, { requestTimeoutMs: 100 });
    try {
      await assert.rejects(a.request('b', [ilpEntry('hold')]), hasCode('ERR_BTP_TIMEOUT'));
      await assert.rejects(a.request('b', [ilpEntry('hold')], 50), hasCode('ERR_BTP_TIMEOUT'));
      hold.release();
      assert.equal(textOf(await a.request('b', [ilpEntry('after')])), 'a>after');
      assert.equal(a.isConnected('b'), true);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('bounds our requests in flight per peer (ERR_BTP_LIMIT)', async () => {
    const hold = holdingHandler();
    const { a, b } = await linkedPair({ nodeId: 'b', onRequest: hold.handler }, { maxInFlightPerLink: 3 });
    try {
      const held = [1, 2, 3].map(() => a.request('b', [ilpEntry('hold')]));
      await assert.rejects(a.request('b', [ilpEntry('x')]), hasCode('ERR_BTP_LIMIT'));
      await hold.holding(3);
      hold.release();
      for (const answer of await Promise.all(held)) assert.equal(textOf(answer), 'released');
      assert.equal(textOf(await a.request('b', [ilpEntry('x')])), 'a>x');
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('bounds incoming handler calls per socket: beyond it BTP Error T03 ConnectorBusy', async () => {
    const hold = holdingHandler();
    const b = await startManager({ nodeId: 'b', onRequest: hold.handler, limits: { maxInFlightPerLink: 2 } });
    b.addPeer({ id: 'a', authToken: 't' });
    const raw = await RawClient.authed(b.port, 'a', 't');
    try {
      const first = [raw.request([ilpEntry('hold')], 100), raw.request([ilpEntry('hold')], 101)];
      const busy = await raw.request([ilpEntry('hold')], 102);
      assert.equal(busy.type, BTP_TYPE.error);
      assert.equal(busy.type === BTP_TYPE.error && `${busy.code} ${busy.name}`, 'T03 ConnectorBusy');
      await hold.holding(2);
      hold.release();
      for (const answer of await Promise.all(first)) assert.equal(answer.type, BTP_TYPE.response);
      assert.equal((await raw.request([ilpEntry('free')])).type, BTP_TYPE.response);
    } finally {
      await raw.close();
      await b.stop();
    }
  });

  it('refuses to send a frame over maxFrameBytes; closes a socket that sends one', async () => {
    const big = [{ protocolName: 'ilp', contentType: 0, data: new Uint8Array(70_000) }];
    const { a, b } = await linkedPair(
      { nodeId: 'b', limits: { maxFrameBytes: 65_536 } },
      { maxFrameBytes: 65_536 },
    );
    const raw = await RawClient.authed(b.port, 'a', 't');
    try {
      await assert.rejects(a.request('b', big), hasCode('ERR_BTP_LIMIT'));
      assert.equal(a.isConnected('b'), true);
      raw.send({ type: BTP_TYPE.message, requestId: 1, protocolData: big });
      assert.equal(await raw.closed, 1009);
      assert.equal(textOf(await a.request('b', [ilpEntry('still')])), 'a>still');
    } finally {
      await raw.close();
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('answers F00 when the handler result cannot be sent', async () => {
    const b = await startManager({
      nodeId: 'b',
      limits: { maxFrameBytes: 65_536 },
      onRequest: () => [{ protocolName: 'ilp', contentType: 0, data: new Uint8Array(80_000) }],
    });
    b.addPeer({ id: 'a', authToken: 't' });
    const raw = await RawClient.authed(b.port, 'a', 't');
    try {
      const answer = await raw.request([]);
      assert.equal(answer.type === BTP_TYPE.error && answer.code, 'F00');
      assert.equal(raw.isOpen, true);
    } finally {
      await raw.close();
      await b.stop();
    }
  });
});

describe('bad frames after auth', { timeout: 10_000 }, () => {
  async function served(fn: (raw: RawClient, b: LinkManager) => Promise<void>): Promise<void> {
    const b = await startManager({ nodeId: 'b' });
    b.addPeer({ id: 'a', authToken: 't' });
    const raw = await RawClient.authed(b.port, 'a', 't');
    try {
      await fn(raw, b);
      // The node keeps serving fresh sockets.
      const fresh = await RawClient.authed(b.port, 'a', 't');
      assert.equal((await fresh.request([ilpEntry('ok')])).type, BTP_TYPE.response);
      await fresh.close();
    } finally {
      await raw.close();
      await b.stop();
    }
  }

  it('undecodable Message: BTP Error F00 with its requestId, then close', () =>
    served(async (raw) => {
      const frame = encodeBtpPacket({ type: BTP_TYPE.message, requestId: 77, protocolData: [ilpEntry('x')] });
      raw.send(frame.subarray(0, frame.length - 1));
      const answer: BtpPacket = await raw.answerTo(77);
      assert.equal(answer.type === BTP_TYPE.error && answer.code, 'F00');
      assert.equal(await raw.closed, CLOSE_CODE.protocolError);
    }));

  it('undecodable frame of another type: close without answer', () =>
    served(async (raw) => {
      raw.send(Uint8Array.of(3, 0, 0, 0, 1, 0));
      assert.equal(await raw.closed, CLOSE_CODE.protocolError);
      assert.equal(raw.unclaimed.length, 0);
    }));

  it('text frame: close', () =>
    served(async (raw) => {
      raw.ws.send('hello');
      assert.equal(await raw.closed, CLOSE_CODE.unsupportedData);
    }));

  it('Response and Error to no request of ours: ignored, the socket stays served', () =>
    served(async (raw) => {
      raw.send({ type: BTP_TYPE.response, requestId: 12345, protocolData: [] });
      raw.send({
        type: BTP_TYPE.error,
        requestId: 12346,
        code: 'F00',
        name: 'NotAcceptedError',
        triggeredAt: new Date(),
        data: '',
        protocolData: [],
      });
      assert.equal((await raw.request([ilpEntry('next')])).type, BTP_TYPE.response);
      assert.equal(raw.unclaimed.length, 0);
    }));

  it('a Transfer reaches the handler like a Message', () =>
    served(async (raw) => {
      raw.send({ type: BTP_TYPE.transfer, requestId: 9, amount: 10n, protocolData: [ilpEntry('money')] });
      const answer = await raw.answerTo(9);
      assert.equal(answer.type === BTP_TYPE.response && textOf(answer.protocolData), 'a>money');
    }));
});
