/**
 * Interop with `ilp-plugin-btp` 1.5 (npm) at both ends: a sender plugin sends ILP Prepares through
 * our node(s) to a receiver plugin that fulfills. Every reply the sender gets is read with the
 * reference codec (`ilp-packet`); that `sendData` resolves at all proves it came back as a BTP
 * Response (a BTP Error would make it throw).
 *
 *   one node:  sender -> N -> receiver
 *   a line:    sender -> N1 ==BTP== N2 -> receiver
 *
 * Proves: Fulfills (fulfillment and data) and the receiver's Rejects (code, triggeredBy, message,
 * data) come back unchanged; the receiver sees the amount unchanged and the expiry lowered by
 * exactly one minMessageWindow per hop; 200 concurrent packets with unique conditions are all
 * fulfilled and every hop's balance is exact; rejects book nothing. On one node also the rejects the
 * node makes itself: F02 (no route), F08 (with the amounts in its data), F01 (garbage), F05 (a
 * fulfillment that does not match) and F02 for a BTP Error from the next hop.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ConnectorNode, PeerAccountBalance } from '../../src/index.js';
import { baseConfig, btpUrl, hashLock, makeNode, waitConnected } from '../helpers/nodes.js';
import { type BtpPlugin, dialPlugin, IlpPacket } from '../helpers/plugins.js';

const HOP_WINDOW_MS = 1000;
const MAX_PACKET = 1_000_000n;

interface Seen {
  destination: string;
  amount: bigint;
  expiresAt: number;
  data: Buffer;
}

/**
 * A receiver plugin that fulfills Prepares whose condition it knows. Its last address segment says
 * what to do otherwise: `.refuse` -> an ILP Reject, `.wrong` -> a wrong fulfillment, `.throw` -> its
 * handler throws (ilp-plugin-btp answers with a BTP Error).
 */
function serveReceiver(
  plugin: BtpPlugin,
  address: string,
  preimages: Map<string, Buffer>,
  seen: Seen[],
): void {
  plugin.registerDataHandler(async (bytes) => {
    const p = IlpPacket.deserializeIlpPrepare(bytes);
    seen.push({
      destination: p.destination,
      amount: BigInt(p.amount),
      expiresAt: p.expiresAt.getTime(),
      data: p.data,
    });
    if (p.destination.endsWith('.refuse')) {
      return IlpPacket.serializeIlpReject({
        code: 'F99',
        triggeredBy: address,
        message: 'receiver says no',
        data: Buffer.from('receiver-data'),
      });
    }
    if (p.destination.endsWith('.throw')) throw new Error('receiver handler failed');
    if (p.destination.endsWith('.wrong'))
      return IlpPacket.serializeIlpFulfill({ fulfillment: Buffer.alloc(32, 7), data: Buffer.alloc(0) });
    const fulfillment = preimages.get(p.executionCondition.toString('base64'));
    if (fulfillment === undefined) {
      return IlpPacket.serializeIlpReject({
        code: 'F05',
        triggeredBy: address,
        message: 'unknown condition',
        data: Buffer.alloc(0),
      });
    }
    return IlpPacket.serializeIlpFulfill({ fulfillment, data: Buffer.concat([Buffer.from('ok:'), p.data]) });
  });
}

interface Topology {
  /** Every node, in path order. */
  nodes: ConnectorNode[];
  /** [node, peerId, sign]: the peer's net balance moves by sign * fulfilled amount. */
  hops: Array<[ConnectorNode, string, 1n | -1n]>;
  receiverAddress: string;
  /** Address of the node the receiver is attached to (it checks the fulfillment first). */
  lastAddress: string;
}

/** Tests shared by both topologies. `make` starts everything and returns the sender and receiver. */
function interopSuite(
  name: string,
  make: () => Promise<{ topology: Topology; sender: BtpPlugin; receiver: BtpPlugin }>,
  extra?: (ctx: () => Ctx) => void,
): void {
  describe(name, { timeout: 30_000 }, () => {
    let ctx: Ctx;

    before(async () => {
      const { topology, sender, receiver } = await make();
      ctx = new Ctx(topology, sender, receiver);
    });

    after(async () => {
      await ctx?.sender.disconnect();
      await ctx?.receiver.disconnect();
      for (const node of ctx?.topology.nodes ?? []) await node.stop();
    });

    it('relays a Fulfill back in a BTP Response; amount unchanged, expiry one window less per hop', async () => {
      const hops = ctx.topology.nodes.length;
      const before = await ctx.balances();
      let total = 0n;
      for (const [i, amount] of [1n, 77n, MAX_PACKET].entries()) {
        const { fulfillment, condition } = ctx.lock();
        const expiresAt = new Date(Date.now() + 15_000);
        const reply = await ctx.send(
          `${ctx.topology.receiverAddress}.item${i}`,
          amount,
          condition,
          Buffer.from(`order-${i}`),
          expiresAt,
        );
        assert.equal(reply.typeString, 'ilp_fulfill', JSON.stringify(reply.data));
        assert.deepEqual(reply.data.fulfillment, fulfillment);
        assert.equal((reply.data.data as Buffer).toString(), `ok:order-${i}`);
        const seen = ctx.seen.at(-1)!;
        assert.equal(seen.destination, `${ctx.topology.receiverAddress}.item${i}`);
        assert.equal(seen.amount, amount);
        assert.equal(seen.data.toString(), `order-${i}`);
        assert.equal(seen.expiresAt, expiresAt.getTime() - hops * HOP_WINDOW_MS);
        total += amount;
      }
      await ctx.assertMoved(before, total);
    });

    it("relays the receiver's Reject unchanged and books nothing", async () => {
      const before = await ctx.balances();
      const reply = await ctx.send(
        `${ctx.topology.receiverAddress}.refuse`,
        500n,
        ctx.lock().condition,
        Buffer.from('x'),
      );
      assert.equal(reply.typeString, 'ilp_reject');
      assert.deepEqual(
        { ...reply.data, data: (reply.data.data as Buffer).toString() },
        {
          code: 'F99',
          triggeredBy: ctx.topology.receiverAddress,
          message: 'receiver says no',
          data: 'receiver-data',
        },
      );
      await ctx.assertMoved(before, 0n);
    });

    it('rejects a fulfillment that does not match the condition (F05 at the last hop), books nothing', async () => {
      const before = await ctx.balances();
      const reply = await ctx.send(
        `${ctx.topology.receiverAddress}.wrong`,
        300n,
        ctx.lock().condition,
        Buffer.from('w'),
      );
      assert.equal(reply.typeString, 'ilp_reject');
      assert.equal(reply.data.code, 'F05');
      assert.equal(reply.data.triggeredBy, ctx.topology.lastAddress);
      await ctx.assertMoved(before, 0n);
    });

    it('carries 200 concurrent packets (unique conditions), all fulfilled, balances exact', async () => {
      const before = await ctx.balances();
      const amounts = Array.from({ length: 200 }, (_, i) => BigInt(1 + i * 37));
      const replies = await Promise.all(
        amounts.map((amount, i) => {
          const { fulfillment, condition } = ctx.lock();
          return ctx
            .send(`${ctx.topology.receiverAddress}.bulk`, amount, condition, Buffer.from(`bulk-${i}`))
            .then((reply) => ({ reply, fulfillment }));
        }),
      );
      for (const [i, { reply, fulfillment }] of replies.entries()) {
        assert.equal(reply.typeString, 'ilp_fulfill', `packet ${i}: ${JSON.stringify(reply.data)}`);
        assert.deepEqual(reply.data.fulfillment, fulfillment);
        assert.equal((reply.data.data as Buffer).toString(), `ok:bulk-${i}`);
      }
      await ctx.assertMoved(
        before,
        amounts.reduce((s, x) => s + x, 0n),
      );
    });

    extra?.(() => ctx);
  });
}

class Ctx {
  readonly preimages = new Map<string, Buffer>();
  readonly seen: Seen[] = [];

  constructor(
    readonly topology: Topology,
    readonly sender: BtpPlugin,
    readonly receiver: BtpPlugin,
  ) {
    serveReceiver(receiver, topology.receiverAddress, this.preimages, this.seen);
  }

  lock(): { fulfillment: Buffer; condition: Buffer } {
    const l = hashLock();
    this.preimages.set(l.condition.toString('base64'), l.fulfillment);
    return l;
  }

  async send(
    destination: string,
    amount: bigint,
    condition: Buffer,
    data: Buffer,
    expiresAt = new Date(Date.now() + 15_000),
  ) {
    const prepare = IlpPacket.serializeIlpPrepare({
      destination,
      amount: amount.toString(),
      executionCondition: condition,
      expiresAt,
      data,
    });
    return IlpPacket.deserializeIlpPacket(await this.sender.sendData(prepare));
  }

  async balances(): Promise<PeerAccountBalance[]> {
    return Promise.all(this.topology.hops.map(([node, peer]) => node.getBalance(peer)));
  }

  /** Every hop's net balance moved by exactly `amount` (with its sign) and nothing is on hold. */
  async assertMoved(before: PeerAccountBalance[], amount: bigint): Promise<void> {
    const after = await this.balances();
    this.topology.hops.forEach(([, peer, sign], i) => {
      const b = after[i]!;
      assert.equal(b.netBalance - before[i]!.netBalance, sign * amount, `balance of ${peer} at hop ${i}`);
      assert.equal(b.pendingDebit + b.pendingCredit, 0n, `amounts on hold for ${peer} at hop ${i}`);
    });
  }
}

interopSuite(
  'ilp-plugin-btp sender and receiver on one node',
  async () => {
    const n = makeNode(
      baseConfig('n', {
        peers: [
          { id: 'sender', authToken: 'sender-token', maxPacketAmount: MAX_PACKET },
          { id: 'receiver', authToken: 'receiver-token', relation: 'child' },
        ],
      }),
    );
    await n.start();
    const sender = await dialPlugin(n.btpPort, 'sender', 'sender-token');
    const receiver = await dialPlugin(n.btpPort, 'receiver', 'receiver-token');
    await Promise.all([waitConnected(n, 'sender'), waitConnected(n, 'receiver')]);
    return {
      sender,
      receiver,
      topology: {
        nodes: [n],
        hops: [
          [n, 'sender', -1n],
          [n, 'receiver', 1n],
        ],
        receiverAddress: 'g.n.receiver',
        lastAddress: 'g.n',
      },
    };
  },
  (ctx) => {
    it('answers F02 for a destination without a route', async () => {
      const before = await ctx().balances();
      const reply = await ctx().send('g.elsewhere.x', 10n, ctx().lock().condition, Buffer.alloc(0));
      assert.equal(reply.typeString, 'ilp_reject');
      assert.equal(reply.data.code, 'F02');
      assert.equal(reply.data.triggeredBy, 'g.n');
      await ctx().assertMoved(before, 0n);
    });

    it('answers F08 above the sender maxPacketAmount, with received and maximum amounts in the data', async () => {
      const before = await ctx().balances();
      const amount = MAX_PACKET + 1n;
      const reply = await ctx().send('g.n.receiver.big', amount, ctx().lock().condition, Buffer.alloc(0));
      assert.equal(reply.typeString, 'ilp_reject');
      assert.equal(reply.data.code, 'F08');
      assert.equal(reply.data.triggeredBy, 'g.n');
      const data = reply.data.data as Buffer;
      assert.equal(data.length, 16);
      assert.equal(data.readBigUInt64BE(0), amount);
      assert.equal(data.readBigUInt64BE(8), MAX_PACKET);
      await ctx().assertMoved(before, 0n);
    });

    it('answers F01 (in a BTP Response) to bytes that are not an ILP Prepare', async () => {
      const reply = IlpPacket.deserializeIlpPacket(await ctx().sender.sendData(Buffer.from([12, 1, 2, 3])));
      assert.equal(reply.typeString, 'ilp_reject');
      assert.equal(reply.data.code, 'F01');
      assert.equal(reply.data.triggeredBy, 'g.n');
    });

    it('turns a BTP Error from the next hop into a reject (F02) and books nothing', async () => {
      const before = await ctx().balances();
      const reply = await ctx().send('g.n.receiver.throw', 20n, ctx().lock().condition, Buffer.alloc(0));
      assert.equal(reply.typeString, 'ilp_reject');
      assert.equal(reply.data.code, 'F02');
      assert.equal(reply.data.triggeredBy, 'g.n');
      await ctx().assertMoved(before, 0n);
    });
  },
);

interopSuite('ilp-plugin-btp sender and receiver across two nodes in a line', async () => {
  const n2 = makeNode(
    baseConfig('n2', {
      peers: [
        { id: 'n1', authToken: 'n1-n2' },
        { id: 'receiver', authToken: 'receiver-token', relation: 'child' },
      ],
    }),
  );
  await n2.start();
  const n1 = makeNode(
    baseConfig('n1', {
      peers: [
        { id: 'n2', url: btpUrl(n2), authToken: 'n1-n2' },
        { id: 'sender', authToken: 'sender-token' },
      ],
      routes: [{ prefix: 'g.n2', nextHop: 'n2' }],
    }),
  );
  await n1.start();
  const sender = await dialPlugin(n1.btpPort, 'sender', 'sender-token');
  const receiver = await dialPlugin(n2.btpPort, 'receiver', 'receiver-token');
  await Promise.all([
    waitConnected(n1, 'n2'),
    waitConnected(n2, 'n1'),
    waitConnected(n1, 'sender'),
    waitConnected(n2, 'receiver'),
  ]);
  return {
    sender,
    receiver,
    topology: {
      nodes: [n1, n2],
      hops: [
        [n1, 'sender', -1n],
        [n1, 'n2', 1n],
        [n2, 'n1', -1n],
        [n2, 'receiver', 1n],
      ],
      receiverAddress: 'g.n2.receiver',
      lastAddress: 'g.n2',
    },
  };
});
