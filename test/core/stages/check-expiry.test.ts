/**
 * checkExpiry at its boundary (RFC 27 §"Expiry"): a Prepare whose expiry is the very moment it is
 * received has expired. Tested through the whole pipeline with an injected clock, on a local
 * destination: there the route stage computes no outgoing expiry, so this stage is the only guard
 * between an expired packet and the local handler.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { IlpPrepare } from '../../../src/codec/index.js';
import { encodePrepare } from '../../../src/codec/index.js';
import type { PipelineServices } from '../../../src/core/context.js';
import { LocalDelivery } from '../../../src/core/local-delivery.js';
import { PacketHandler } from '../../../src/core/packet-handler.js';
import { PeerRegistry } from '../../../src/core/peers.js';
import { composePipeline } from '../../../src/core/pipeline.js';
import { MemoryLedger } from '../../../src/ledger/index.js';
import { RoutingTable } from '../../../src/routing/index.js';
import { silentLogger } from '../../../src/utils/logger.js';

const OWN = 'g.me';
/** The moment every packet of this test is received: the clock never moves. */
const NOW_MS = Date.UTC(2030, 0, 2, 3, 4, 5, 678);

async function node() {
  const ledger = new MemoryLedger();
  await ledger.open();
  await ledger.createAccount('own:local');
  await ledger.createAccount('peer:alice');
  const peers = new PeerRegistry();
  const alice = peers.add(
    { id: 'alice', authToken: '', relation: 'peer', assetCode: 'USD', assetScale: 9 },
    NOW_MS,
  );
  const routes = new RoutingTable();
  routes.addRoute(OWN, 'me');
  const local = new LocalDelivery({
    address: () => OWN,
    logger: silentLogger(),
    maxTransitInFlight: 10,
    maxHoldTimeMs: 30_000,
    minMessageWindowMs: 1000,
  });
  const delivered: string[] = [];
  local.setHandler((request) => {
    delivered.push(request.expiresAt);
    return { reject: { code: 'F99', message: 'seen by the handler' } };
  });
  let id = 0n;
  const services: PipelineServices = {
    nodeId: 'me',
    address: () => OWN,
    now: () => NOW_MS,
    minMessageWindowMs: 1000,
    maxHoldTimeMs: 30_000,
    peers,
    routes,
    ledger,
    links: {
      isConnected: () => false,
      sendIlp: () => Promise.reject(new Error('a local packet is never forwarded')),
    },
    local,
    perHopNotification: false,
    nextTransferId: () => ++id,
    logger: silentLogger(),
  };
  const packets = new PacketHandler(
    composePipeline(services),
    () => OWN,
    silentLogger(),
    undefined,
    () => NOW_MS,
  );
  const send = (expiresAtMs: number) => {
    const prepare: IlpPrepare = {
      type: 12,
      destination: `${OWN}.wallet`,
      amount: 10n,
      executionCondition: new Uint8Array(32).fill(3),
      expiresAt: new Date(expiresAtMs),
      data: new Uint8Array(0),
    };
    return packets.handle(alice, encodePrepare(prepare), prepare);
  };
  return { send, delivered };
}

describe('checkExpiry: the moment of receipt is already too late', () => {
  it('a Prepare expiring exactly when it is received is R02 from this node, and never reaches the handler', async () => {
    const { send, delivered } = await node();
    const reply = await send(NOW_MS);
    assert.equal(reply.type, 14);
    if (reply.type !== 14) return;
    assert.equal(reply.code, 'R02');
    assert.equal(reply.triggeredBy, OWN);
    assert.deepEqual(delivered, []);
  });

  it('one millisecond before it expires, the same Prepare passes the stage and reaches the handler', async () => {
    const { send, delivered } = await node();
    await send(NOW_MS + 1);
    assert.deepEqual(delivered, [new Date(NOW_MS + 1).toISOString()]);
  });

  it('a Prepare that expired a millisecond earlier is R02 too', async () => {
    const { send, delivered } = await node();
    const reply = await send(NOW_MS - 1);
    assert.equal(reply.type === 14 && reply.code, 'R02');
    assert.deepEqual(delivered, []);
  });
});
