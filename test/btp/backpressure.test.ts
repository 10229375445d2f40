/**
 * Back-pressure on BTP links: a peer that stops reading (a raw `ws` client whose socket is
 * paused) is cut off once `maxBufferedBytes` wait for it, our packets in flight to it are
 * rejected at once (T01, not at their expiry), and the node's RSS stays bounded; incoming requests
 * are bounded per link, over all the peer's sockets.
 */
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { describe, it } from 'node:test';
import { BTP_TYPE } from '../../src/codec/btp.js';
import { encodePrepare } from '../../src/codec/ilp.js';
import {
  baseConfig,
  dataLock,
  makeNode,
  sendData,
  waitConnected,
  waitDisconnected,
} from '../helpers/nodes.js';
import { RawClient, startManager } from './helpers.js';

const ANSWER_BYTES = 30_000;
const REQUESTS = 5_000;

function prepareFrame(i: number) {
  const data = Buffer.from(`in${i}`);
  const prepare = encodePrepare({
    destination: 'g.b',
    amount: 0n,
    expiresAt: new Date(Date.now() + 30_000),
    executionCondition: dataLock(data),
    data,
  });
  return {
    type: BTP_TYPE.message,
    requestId: 1000 + i,
    protocolData: [{ protocolName: 'ilp', contentType: 0, data: prepare }],
  };
}

describe('a peer that stops reading', () => {
  it('is cut off at maxBufferedBytes, our packets to it reject at once, RSS stays bounded', async () => {
    const b = makeNode(
      baseConfig('b', {
        peers: [{ id: 'slow', authToken: 'tok', relation: 'child' }],
        btp: { maxBufferedBytes: 1_048_576 },
      }),
    );
    await b.start();
    try {
      const big = Buffer.alloc(ANSWER_BYTES, 7).toString('base64');
      let handled = 0;
      b.setPacketHandler(() => {
        handled++;
        return { accept: true, data: big };
      });
      const client = await RawClient.authed(b.btpPort, 'slow', 'tok');
      await waitConnected(b, 'slow');
      // Packets of ours in flight to the peer, which will never answer them.
      const started = performance.now();
      const ours = Array.from({ length: 5 }, (_, i) =>
        sendData(b, 'g.b.slow.x', 0n, `out${i}`, 30_000).then((reply) => ({
          reply,
          ms: performance.now() - started,
        })),
      );
      await client.take((p) => p.type === BTP_TYPE.message); // the first of them has arrived
      (client.ws as unknown as { _socket: Socket })._socket.pause();
      const rssBefore = process.memoryUsage().rss;
      let isCut = false;
      const cut = waitDisconnected(b, 'slow').then(() => {
        isCut = true;
      });
      // Requests whose answers are 30 KB each, 50 per turn until the node cuts the socket:
      // 150 MB of answers if it buffered them all.
      let sent = 0;
      while (!isCut && sent < REQUESTS) {
        for (let i = 0; i < 50; i++, sent++) client.send(prepareFrame(sent));
        await new Promise((resolve) => setImmediate(resolve));
      }
      await cut;
      const handledAtCut = handled;
      const rssGrowthMb = (process.memoryUsage().rss - rssBefore) / 1e6;
      const replies = await Promise.all(ours);
      console.log(
        JSON.stringify({
          sent,
          handledAtCut,
          rssGrowthMb,
          rejectedAfterMs: replies.map((r) => Math.round(r.ms)),
        }),
      );
      for (const { reply, ms } of replies) {
        assert.equal(reply.type, 14);
        assert.equal((reply as { code: string }).code, 'T01');
        assert.ok(ms < 25_000, 'rejected when the link was cut, not at the expiry');
      }
      // Cut after about maxBufferedBytes plus what the kernel's socket buffers hold (a few MB on
      // loopback), far from the 5,000 answers it would otherwise have taken: counted, not timed.
      assert.ok(sent < REQUESTS, `the socket was cut only after ${sent} requests`);
      assert.ok(handledAtCut * ANSWER_BYTES < 40e6, `${handledAtCut} answers of 30 KB before the cut`);
      assert.ok(rssGrowthMb < 80, `RSS grew ${rssGrowthMb} MB`);
      await client.close();
    } finally {
      await b.stop();
    }
  });
});

describe('incoming requests per link', () => {
  it('are bounded over all sockets of the peer, not per socket', async () => {
    const never = new Promise<never>(() => undefined);
    const m = await startManager({
      nodeId: 'm',
      limits: { maxInFlightPerLink: 2 },
      onRequest: () => never,
    });
    m.addPeer({ id: 'p', authToken: 'tok' });
    const one = await RawClient.authed(m.port, 'p', 'tok');
    const two = await RawClient.authed(m.port, 'p', 'tok');
    try {
      const probe = [{ protocolName: 'x', contentType: 0, data: new Uint8Array(0) }];
      void one.request(probe);
      void one.request(probe);
      const third = await two.request(probe);
      assert.equal(third.type, BTP_TYPE.error);
      assert.equal((third as { code: string }).code, 'T03');
    } finally {
      await one.close();
      await two.close();
      await m.stop();
    }
  });
});
