/**
 * The routing table changes while packets flow through it (issue 16): two neighbours s1 and s2
 * (ilp-plugin-btp, speaking CCP with the reference codec ilp-protocol-ccp) both offer 300
 * prefixes; s1 flaps between announcing them on the shortest path and withdrawing them, 40
 * times, each change one update of 300 routes, while a child sends packets to those prefixes
 * without pause. Every packet is fulfilled (by whichever neighbour was best at that moment): the
 * packet path never sees a table with the old route gone and the new one not yet there.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import type { ConnectorNode } from '../../src/index.js';
import { baseConfig, hashLock, makeNode, waitConnected } from '../helpers/nodes.js';
import { type BtpPlugin, dialPlugin, IlpPacket } from '../helpers/plugins.js';

const require = createRequire(import.meta.url);
const ccp = require('ilp-protocol-ccp') as {
  serializeCcpRouteUpdateRequest(u: unknown): Buffer;
  serializeCcpResponse(): Buffer;
};

const PREFIXES = Array.from({ length: 300 }, (_, i) => `g.x.r${i}`);
const FLAPS = 40;

/** A neighbour that speaks CCP to the node and fulfils what it is sent. */
class Neighbour {
  readonly tableId = randomUUID();
  epoch = 0;
  delivered = 0;
  constructor(
    readonly name: string,
    readonly plugin: BtpPlugin,
    preimages: Map<string, Buffer>,
  ) {
    plugin.registerDataHandler(async (bytes) => {
      const prepare = IlpPacket.deserializeIlpPrepare(bytes);
      if (prepare.destination.startsWith('peer.route.')) return ccp.serializeCcpResponse();
      const fulfillment = preimages.get(prepare.executionCondition.toString('hex'));
      if (fulfillment === undefined)
        return IlpPacket.serializeIlpReject({
          code: 'F05',
          triggeredBy: `g.${name}`,
          message: '',
          data: Buffer.alloc(0),
        });
      this.delivered++;
      return IlpPacket.serializeIlpFulfill({ fulfillment, data: Buffer.alloc(0) });
    });
  }

  /** One update: announce every prefix with a path of `hops` hops, or withdraw them all. */
  async update(hops: number | 'withdraw'): Promise<void> {
    const from = this.epoch;
    this.epoch += PREFIXES.length;
    const path = Array.from({ length: hops === 'withdraw' ? 0 : hops }, (_, i) =>
      i === 0 ? `g.${this.name}` : `g.far${i}`,
    );
    const reply = await this.plugin.sendData(
      ccp.serializeCcpRouteUpdateRequest({
        routingTableId: this.tableId,
        currentEpochIndex: this.epoch,
        fromEpochIndex: from,
        toEpochIndex: this.epoch,
        holdDownTime: 60_000,
        speaker: `g.${this.name}`,
        newRoutes:
          hops === 'withdraw'
            ? []
            : PREFIXES.map((prefix) => ({ prefix, path, auth: Buffer.alloc(32), props: [] })),
        withdrawnRoutes: hops === 'withdraw' ? PREFIXES : [],
      }),
    );
    assert.equal(reply[0], 13, `${this.name}'s update was not fulfilled`);
  }
}

describe('a routing table that changes while packets flow', { timeout: 60_000 }, () => {
  let node: ConnectorNode;
  let s1: Neighbour;
  let s2: Neighbour;
  let alice: BtpPlugin;
  const preimages = new Map<string, Buffer>();

  before(async () => {
    node = makeNode(
      baseConfig('n', {
        peers: [
          { id: 's1', authToken: 's1-token' },
          { id: 's2', authToken: 's2-token' },
          { id: 'alice', authToken: 'alice-token', relation: 'child' },
        ],
        ccp: { enabled: true },
      }),
    );
    await node.start();
    s1 = new Neighbour('s1', await dialPlugin(node.btpPort, 's1', 's1-token'), preimages);
    s2 = new Neighbour('s2', await dialPlugin(node.btpPort, 's2', 's2-token'), preimages);
    alice = await dialPlugin(node.btpPort, 'alice', 'alice-token');
    await Promise.all(['s1', 's2', 'alice'].map((id) => waitConnected(node, id)));
  });

  after(async () => {
    for (const p of [s1?.plugin, s2?.plugin, alice]) await p?.disconnect();
    await node?.stop();
  });

  it('forwards every packet while the best route of 300 prefixes flips 40 times', async () => {
    await s2.update(3);
    await s1.update(1);
    assert.equal(node.listRoutes().filter((r) => r.origin === 'learned').length, PREFIXES.length);
    let flowing = true;
    const outcomes: string[] = [];
    const sender = async (lane: number) => {
      for (let i = 0; flowing; i++) {
        const { fulfillment, condition } = hashLock();
        preimages.set(condition.toString('hex'), fulfillment);
        const reply = await alice.sendData(
          IlpPacket.serializeIlpPrepare({
            destination: `${PREFIXES[(lane * 7919 + i * 31) % PREFIXES.length]}.pay`,
            amount: '1',
            executionCondition: condition,
            expiresAt: new Date(Date.now() + 10_000),
            data: Buffer.from(`${lane}-${i}`),
          }),
        );
        outcomes.push(reply[0] === 13 ? 'fulfill' : IlpPacket.deserializeIlpReject(reply).code);
      }
    };
    const lanes = [0, 1, 2, 3].map(sender);
    for (let flap = 0; flap < FLAPS; flap++) {
      const seenBefore = outcomes.length;
      await s1.update(flap % 2 === 0 ? 'withdraw' : 1);
      // Let packets through between changes, so every state of the table carries some.
      while (outcomes.length < seenBefore + 8) await new Promise((r) => setImmediate(r));
    }
    flowing = false;
    await Promise.all(lanes);
    const failed = outcomes.filter((o) => o !== 'fulfill');
    assert.deepEqual([...new Set(failed)], [], `${failed.length} of ${outcomes.length} packets rejected`);
    assert.ok(
      s1.delivered > 0 && s2.delivered > 0,
      `both paths carried packets (s1 ${s1.delivered}, s2 ${s2.delivered})`,
    );
    assert.ok(outcomes.length >= FLAPS * 8);
  });
});
