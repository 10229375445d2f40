/**
 * Interop with the reference connector `ilp-connector` 23 (npm), run in-process between two of our
 * nodes. Our node A dials R (R's account `a` is an ilp-plugin-btp listener); R dials our node B
 * (R's account `b` is an ilp-plugin-btp client, B knows it as peer `r` without a URL). Both of R's
 * accounts have relation `peer`, so R also talks CCP (peer.route.*) to our nodes, which refuse it
 * (F02): forwarding must not care. R routes by static routes.
 *
 *   alice (ilp-plugin-btp, child of A) -> A ==BTP==> R ==BTP==> B -> B's packet handler
 *
 * Proves, with the reference codec (ilp-packet) reading every reply alice gets:
 * - Prepares cross both links in both directions (A->R on A's dialed link, R->B on B's accepted
 *   link; and back B->R->A), amounts unchanged, expiry lowered by exactly one minMessageWindow
 *   per hop (A and R each take 1000 ms), Fulfills relayed to the sender;
 * - a reject from B's handler reaches alice unchanged through R (code, triggeredBy = g.b, message,
 *   data), and a reject R creates itself reaches alice unchanged through A (triggeredBy = g.r);
 * - 100 concurrent packets (unique conditions, as R merges identical Prepares) all fulfilled;
 * - A's and B's balances equal what was fulfilled, in both directions; rejects book nothing.
 *
 * A second topology puts two of our nodes under the reference connector as its children: each
 * takes its address from R by IL-DCP (our IL-DCP client against the reference host) and sends
 * everything else to its parent (default route), so C pays D through R.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import type { ConnectorNode, PeerAccountBalance } from '../../src/index.js';
import { baseConfig, dataLock, hashLock, makeNode, waitConnected } from '../helpers/nodes.js';
import { type BtpPlugin, dialPlugin, IlpPacket } from '../helpers/plugins.js';
import { freePort } from '../helpers/ports.js';
import { type RunningReference, startReference, UNLIMITED_RATE } from '../helpers/reference-connector.js';

const ASSET = { code: 'USD', scale: 9 } as const;
const HOP_WINDOW_MS = 1000;

interface Delivered {
  destination: string;
  amount: bigint;
  expiresAt: number;
  sourcePeer: string;
  data: Buffer;
}

describe('interop with the reference ilp-connector', { timeout: 40_000 }, () => {
  let a: ConnectorNode;
  let b: ConnectorNode;
  let r: RunningReference | undefined;
  let alice: BtpPlugin;
  /** Preimages B's handler and alice know, by condition (base64). */
  const preimages = new Map<string, Buffer>();
  const deliveredAtB: Delivered[] = [];
  const deliveredToAlice: Delivered[] = [];

  before(async () => {
    b = makeNode(
      baseConfig('b', {
        asset: ASSET,
        peers: [{ id: 'r', authToken: 'r-to-b-secret' }],
        routes: [{ prefix: 'g.a', nextHop: 'r' }],
      }),
    );
    await b.start();
    b.setPacketHandler(async (request) => {
      const data = Buffer.from(request.data, 'base64');
      deliveredAtB.push({
        destination: request.destination,
        amount: BigInt(request.amount),
        expiresAt: Date.parse(request.expiresAt),
        sourcePeer: request.sourcePeer,
        data,
      });
      if (request.destination.endsWith('.refuse')) {
        return {
          accept: false,
          rejectReason: { code: 'F06', message: 'unexpected payment, says b' },
          data: Buffer.from('reason-from-b').toString('base64'),
        };
      }
      const fulfillment = preimages.get(request.executionCondition);
      if (fulfillment === undefined)
        return { accept: false, rejectReason: { code: 'F05', message: 'unknown condition' } };
      return {
        accept: true,
        fulfillment: fulfillment.toString('base64'),
        data: Buffer.from(`paid:${data}`).toString('base64'),
      };
    });

    // R's listener for A needs its port before A can be configured.
    const rPortForA = await freePort();
    const bUp = waitConnected(b, 'r');
    r = startReference({
      ilpAddress: 'g.r',
      accounts: {
        a: {
          relation: 'peer',
          plugin: 'ilp-plugin-btp',
          assetCode: ASSET.code,
          assetScale: ASSET.scale,
          rateLimit: UNLIMITED_RATE,
          options: {
            listener: {
              port: rPortForA,
              secret: 'a-to-r-secret',
              wsOpts: { host: '127.0.0.1', port: rPortForA },
            },
          },
        },
        b: {
          relation: 'peer',
          plugin: 'ilp-plugin-btp',
          assetCode: ASSET.code,
          assetScale: ASSET.scale,
          rateLimit: UNLIMITED_RATE,
          options: { server: `btp+ws://r:r-to-b-secret@127.0.0.1:${b.btpPort}` },
        },
      },
      routes: [
        { targetPrefix: 'g.a', peerId: 'a' },
        { targetPrefix: 'g.b', peerId: 'b' },
      ],
    });

    a = makeNode(
      baseConfig('a', {
        asset: ASSET,
        peers: [
          { id: 'r', url: `btp+ws://127.0.0.1:${rPortForA}`, authToken: 'a-to-r-secret' },
          { id: 'alice', authToken: 'alice-token', relation: 'child' },
        ],
        routes: [
          { prefix: 'g.b', nextHop: 'r' },
          { prefix: 'g.zz', nextHop: 'r' },
        ],
      }),
    );
    await a.start();
    await r.ready;
    await Promise.all([waitConnected(a, 'r'), bUp]);
    assert.ok(r.app.getPlugin('a').isConnected() && r.app.getPlugin('b').isConnected());

    alice = await dialPlugin(a.btpPort, 'alice', 'alice-token');
    alice.registerDataHandler(async (bytes) => {
      const prepare = IlpPacket.deserializeIlpPrepare(bytes);
      deliveredToAlice.push({
        destination: prepare.destination,
        amount: BigInt(prepare.amount),
        expiresAt: prepare.expiresAt.getTime(),
        sourcePeer: 'a',
        data: prepare.data,
      });
      const fulfillment = preimages.get(prepare.executionCondition.toString('base64'));
      if (fulfillment === undefined) {
        return IlpPacket.serializeIlpReject({
          code: 'F05',
          triggeredBy: 'g.a.alice',
          message: 'unknown condition',
          data: Buffer.alloc(0),
        });
      }
      return IlpPacket.serializeIlpFulfill({ fulfillment, data: Buffer.from('alice-thanks') });
    });
  });

  after(async () => {
    await alice?.disconnect();
    await a?.stop();
    await r?.stop();
    await b?.stop();
  });

  function lock(): { fulfillment: Buffer; condition: Buffer } {
    const l = hashLock();
    preimages.set(l.condition.toString('base64'), l.fulfillment);
    return l;
  }

  /** alice sends a Prepare to A and reads the reply with the reference codec. */
  async function aliceSends(
    destination: string,
    amount: bigint,
    condition: Buffer,
    data: Buffer,
    expiresAt: Date,
  ) {
    const reply = await alice.sendData(
      IlpPacket.serializeIlpPrepare({
        destination,
        amount: amount.toString(),
        executionCondition: condition,
        expiresAt,
        data,
      }),
    );
    return IlpPacket.deserializeIlpPacket(reply);
  }

  async function snapshot(): Promise<Record<string, PeerAccountBalance>> {
    return {
      'a:alice': await a.getBalance('alice'),
      'a:r': await a.getBalance('r'),
      'b:r': await b.getBalance('r'),
    };
  }

  function netDeltas(before: Record<string, PeerAccountBalance>, after: Record<string, PeerAccountBalance>) {
    const out: Record<string, bigint> = {};
    for (const k of Object.keys(after)) {
      out[k] = after[k]!.netBalance - before[k]!.netBalance;
      assert.equal(after[k]!.pendingCredit + after[k]!.pendingDebit, 0n, `${k} has amounts on hold`);
    }
    return out;
  }

  it('forwards alice -> A -> R -> B and relays the Fulfill; expiry drops one window per hop', async () => {
    const before = await snapshot();
    let total = 0n;
    for (const [i, amount] of [1n, 999n, 123_456_789n, 18_000_000_000n].entries()) {
      const { fulfillment, condition } = lock();
      const expiresAt = new Date(Date.now() + 20_000);
      const data = Buffer.from(`invoice-${i}`);
      const reply = await aliceSends('g.b.shop', amount, condition, data, expiresAt);
      assert.equal(reply.typeString, 'ilp_fulfill', `packet ${i}: ${JSON.stringify(reply.data)}`);
      assert.deepEqual(reply.data.fulfillment, fulfillment);
      assert.equal((reply.data.data as Buffer).toString(), `paid:invoice-${i}`);
      const seen = deliveredAtB.at(-1)!;
      assert.equal(seen.destination, 'g.b.shop');
      assert.equal(seen.amount, amount, 'R (one-to-one, spread 0) and A pass the amount unchanged');
      assert.equal(seen.sourcePeer, 'r');
      assert.deepEqual(seen.data, data);
      assert.equal(seen.expiresAt, expiresAt.getTime() - 2 * HOP_WINDOW_MS);
      total += amount;
    }
    assert.deepEqual(netDeltas(before, await snapshot()), { 'a:alice': -total, 'a:r': total, 'b:r': -total });
  });

  it('relays a reject from B through R unchanged, and books nothing', async () => {
    const before = await snapshot();
    const reply = await aliceSends(
      'g.b.refuse',
      5000n,
      lock().condition,
      Buffer.from('r1'),
      new Date(Date.now() + 20_000),
    );
    assert.equal(reply.typeString, 'ilp_reject');
    assert.equal(reply.data.code, 'F06');
    assert.equal(reply.data.triggeredBy, 'g.b');
    assert.equal(reply.data.message, 'unexpected payment, says b');
    assert.equal((reply.data.data as Buffer).toString(), 'reason-from-b');
    assert.deepEqual(netDeltas(before, await snapshot()), { 'a:alice': 0n, 'a:r': 0n, 'b:r': 0n });
  });

  it("relays R's own reject through A unchanged (triggeredBy = R)", async () => {
    const before = await snapshot();
    // A routes g.zz to R; R has no route for it.
    const reply = await aliceSends(
      'g.zz.nobody',
      10n,
      lock().condition,
      Buffer.from('r2'),
      new Date(Date.now() + 20_000),
    );
    assert.equal(reply.typeString, 'ilp_reject');
    assert.equal(reply.data.triggeredBy, 'g.r', JSON.stringify(reply.data));
    assert.equal(reply.data.code, 'F02');
    assert.equal(reply.data.message, 'no route found. source=a destination=g.zz.nobody');
    assert.deepEqual(netDeltas(before, await snapshot()), { 'a:alice': 0n, 'a:r': 0n, 'b:r': 0n });
  });

  it('forwards the other way: B -> R -> A -> alice', async () => {
    const before = await snapshot();
    const { fulfillment, condition } = lock();
    const expiresAt = new Date(Date.now() + 20_000);
    const reply = await b.sendPacket({
      destination: 'g.a.alice.inbox',
      amount: 4242n,
      executionCondition: condition,
      expiresAt,
      data: Buffer.from('from-b'),
    });
    assert.equal(reply.type, 13, JSON.stringify(reply));
    if (reply.type === 13) {
      assert.deepEqual(Buffer.from(reply.fulfillment), fulfillment);
      assert.equal(Buffer.from(reply.data).toString(), 'alice-thanks');
    }
    const seen = deliveredToAlice.at(-1)!;
    assert.equal(seen.destination, 'g.a.alice.inbox');
    assert.equal(seen.amount, 4242n);
    assert.equal(seen.data.toString(), 'from-b');
    // B originates (keeps the expiry), R and A each take one window.
    assert.equal(seen.expiresAt, expiresAt.getTime() - 2 * HOP_WINDOW_MS);
    assert.deepEqual(netDeltas(before, await snapshot()), { 'a:alice': 4242n, 'a:r': -4242n, 'b:r': 4242n });
  });

  it('carries 100 concurrent packets through R, all fulfilled, balances exact', async () => {
    const before = await snapshot();
    const count = 100;
    const amounts = Array.from({ length: count }, (_, i) => BigInt(1000 + i));
    const replies = await Promise.all(
      amounts.map((amount, i) => {
        const { condition } = lock();
        return aliceSends(
          'g.b.bulk',
          amount,
          condition,
          Buffer.from(`bulk-${i}`),
          new Date(Date.now() + 20_000),
        );
      }),
    );
    const rejected = replies.filter((reply) => reply.typeString !== 'ilp_fulfill');
    assert.equal(rejected.length, 0, JSON.stringify(rejected.slice(0, 3)));
    const total = amounts.reduce((s, x) => s + x, 0n);
    assert.deepEqual(netDeltas(before, await snapshot()), { 'a:alice': -total, 'a:r': total, 'b:r': -total });
  });
});

describe('our nodes as children of the reference ilp-connector (IL-DCP from it, default route to it)', {
  timeout: 40_000,
}, () => {
  let c: ConnectorNode;
  let d: ConnectorNode;
  let r: RunningReference | undefined;
  const delivered: Array<{ destination: string; amount: string; sourcePeer: string }> = [];

  before(async () => {
    const [portC, portD] = [await freePort(), await freePort()];
    const child = (port: number, secret: string) => ({
      relation: 'child' as const,
      plugin: 'ilp-plugin-btp',
      assetCode: ASSET.code,
      assetScale: ASSET.scale,
      rateLimit: UNLIMITED_RATE,
      options: { listener: { port, secret, wsOpts: { host: '127.0.0.1', port } } },
    });
    r = startReference({
      ilpAddress: 'g.r2',
      accounts: { c: child(portC, 'c-secret'), d: child(portD, 'd-secret') },
    });
    const parent = (port: number, token: string) => ({
      id: 'r',
      url: `ws://127.0.0.1:${port}`,
      authToken: token,
      relation: 'parent' as const,
    });
    c = makeNode(baseConfig('c', { asset: ASSET, peers: [parent(portC, 'c-secret')] }));
    d = makeNode(baseConfig('d', { asset: ASSET, peers: [parent(portD, 'd-secret')] }));
    const addresses = Promise.all([once(c, 'address'), once(d, 'address')]);
    await c.start();
    await d.start();
    await r.ready;
    const [[addressC], [addressD]] = await addresses;
    assert.equal(addressC, 'g.r2.c');
    assert.equal(addressD, 'g.r2.d');
    d.setPacketHandler(async (request) => {
      delivered.push({
        destination: request.destination,
        amount: request.amount,
        sourcePeer: request.sourcePeer,
      });
      return { accept: true, data: Buffer.from('d-got-it').toString('base64') };
    });
  });

  after(async () => {
    await r?.stop();
    await c?.stop();
    await d?.stop();
  });

  it('takes the addresses R assigns and pays from one child to the other through R', async () => {
    assert.equal(c.getIlpAddress(), 'g.r2.c');
    assert.equal(d.getIlpAddress(), 'g.r2.d');
    const data = Buffer.from('child-to-child');
    const reply = await c.sendPacket({
      destination: 'g.r2.d.inbox',
      amount: 31_337n,
      executionCondition: dataLock(data),
      expiresAt: new Date(Date.now() + 20_000),
      data,
    });
    assert.equal(reply.type, 13, JSON.stringify(reply));
    if (reply.type === 13) assert.equal(Buffer.from(reply.data).toString(), 'd-got-it');
    assert.deepEqual(delivered, [{ destination: 'g.r2.d.inbox', amount: '31337', sourcePeer: 'r' }]);
    assert.equal((await c.getBalance('r')).netBalance, 31_337n);
    assert.equal((await d.getBalance('r')).netBalance, -31_337n);
  });
});
