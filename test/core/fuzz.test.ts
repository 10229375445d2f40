/**
 * Fuzzed ILP packets inside valid BTP frames: every one gets an ILP reply (a Reject here),
 * the node never crashes and still serves a good packet afterwards. Seeded and bounded.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import fc from 'fast-check';
import type { ConnectorNode } from '../../src/index.js';
import { baseConfig, hashLock, makeNode, waitConnected } from '../helpers/nodes.js';
import { type BtpPlugin, dialPlugin, IlpPacket } from '../helpers/plugins.js';

let node: ConnectorNode;
let alice: BtpPlugin;
let bob: BtpPlugin;
const lock = hashLock();

before(async () => {
  node = makeNode(
    baseConfig('fz', {
      peers: [
        { id: 'alice', authToken: 'a', relation: 'child' },
        { id: 'bob', authToken: 'b', relation: 'child' },
      ],
    }),
  );
  await node.start();
  alice = await dialPlugin(node.btpPort, 'alice', 'a');
  alice.registerDataHandler(async () => Buffer.alloc(0));
  bob = await dialPlugin(node.btpPort, 'bob', 'b');
  bob.registerDataHandler(async () =>
    IlpPacket.serializeIlpFulfill({ fulfillment: lock.fulfillment, data: Buffer.alloc(0) }),
  );
  await Promise.all([waitConnected(node, 'alice'), waitConnected(node, 'bob')]);
});

after(async () => {
  await alice?.disconnect();
  await bob?.disconnect();
  await node?.stop();
});

const valid = () =>
  IlpPacket.serializeIlpPrepare({
    amount: '5',
    destination: 'g.fz.bob.x',
    expiresAt: new Date(Date.now() + 10_000),
    executionCondition: lock.condition,
    data: Buffer.from('hello'),
  });

const mutated = fc.tuple(fc.nat(400), fc.nat(255), fc.nat(400)).map(([at, value, cut]) => {
  const bytes = Buffer.from(valid());
  bytes[at % bytes.length] = value;
  return bytes.subarray(0, Math.max(1, bytes.length - (cut % 8)));
});

it('every fuzzed packet is answered with a Reject and the node keeps serving', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(
        fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
        mutated,
      ),
      async (bytes) => {
        const reply = await alice.sendData(bytes);
        const packet = IlpPacket.deserializeIlpPacket(reply);
        assert.ok(packet.type === 13 || packet.type === 14, `reply type ${packet.type}`);
      },
    ),
    { seed: 20261124, numRuns: 300 },
  );
  const good = IlpPacket.deserializeIlpPacket(await alice.sendData(valid()));
  assert.equal(good.type, 13);
});
