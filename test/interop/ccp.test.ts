/**
 * Route learning across the reference connector `ilp-connector` 23 (in-process) with no static
 * route anywhere: our node A dials R (R's account `a` is an ilp-plugin-btp listener), R dials our
 * node B (account `b`, a client), all three with relation `peer`, CCP on everywhere.
 *
 *   A ==BTP==> R ==BTP==> B
 *
 * - R learns g.a and g.b from our nodes (its routing table shows them), A learns g.b and B learns
 *   g.a from R, with the paths R advertised (R's address first);
 * - packets cross both ways over learned routes only;
 * - when B goes away R withdraws g.b and A forgets it (F02 for g.b); when B comes back on its
 *   port R learns it again, tells A, and A forwards to B again.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ConnectorConfig, ConnectorNode } from '../../src/index.js';
import { baseConfig, makeNode, sendData, waitConnected } from '../helpers/nodes.js';
import { freePort } from '../helpers/ports.js';
import { type RunningReference, startReference, UNLIMITED_RATE } from '../helpers/reference-connector.js';

const ASSET = { code: 'USD', scale: 9 } as const;
const CCP = { enabled: true, broadcastIntervalMs: 1000, routeExpiryMs: 5000, cleanupIntervalMs: 200 };

async function waitFor(ready: () => boolean, timeoutMs: number, what: string): Promise<number> {
  const started = Date.now();
  while (!ready()) {
    if (Date.now() - started > timeoutMs) throw new Error(`not ${what} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return Date.now() - started;
}

const routeTo = (node: ConnectorNode, prefix: string) => node.listRoutes().find((r) => r.prefix === prefix);

describe('CCP interop with the reference ilp-connector', { timeout: 60_000 }, () => {
  let a: ConnectorNode;
  let b: ConnectorNode;
  let r: RunningReference | undefined;
  let bConfig: ConnectorConfig;
  /** R's routing table (prefix -> next hop account), read through its route broadcaster. */
  let referenceRoutes: () => Map<string, string>;

  function bNode(): ConnectorNode {
    const node = makeNode(bConfig);
    node.setPacketHandler(async () => ({ accept: true }));
    return node;
  }

  before(async () => {
    bConfig = baseConfig('b', {
      btpServerPort: await freePort(),
      asset: ASSET,
      peers: [{ id: 'r', authToken: 'r-to-b' }],
      ccp: CCP,
    });
    b = bNode();
    await b.start();
    const rPortForA = await freePort();
    const bUp = waitConnected(b, 'r');
    r = startReference({
      ilpAddress: 'g.r',
      routeBroadcastInterval: 1000,
      accounts: {
        a: {
          relation: 'peer',
          plugin: 'ilp-plugin-btp',
          assetCode: ASSET.code,
          assetScale: ASSET.scale,
          rateLimit: UNLIMITED_RATE,
          options: {
            listener: { port: rPortForA, secret: 'a-to-r', wsOpts: { host: '127.0.0.1', port: rPortForA } },
          },
        },
        b: {
          relation: 'peer',
          plugin: 'ilp-plugin-btp',
          assetCode: ASSET.code,
          assetScale: ASSET.scale,
          rateLimit: UNLIMITED_RATE,
          options: { server: `btp+ws://r:r-to-b@127.0.0.1:${bConfig.btpServerPort}` },
        },
      },
    });
    a = makeNode(
      baseConfig('a', {
        asset: ASSET,
        peers: [{ id: 'r', url: `btp+ws://127.0.0.1:${rPortForA}`, authToken: 'a-to-r' }],
        ccp: CCP,
      }),
    );
    a.setPacketHandler(async () => ({ accept: true }));
    await a.start();
    await r.ready;
    await Promise.all([waitConnected(a, 'r'), bUp]);
    referenceRoutes = () => {
      const status = (r as RunningReference).routing();
      return new Map(Object.entries(status.localRoutingTable).map(([p, route]) => [p, route.nextHop]));
    };
  });

  after(async () => {
    await a?.stop();
    await r?.stop();
    await b?.stop();
  });

  it('learns routes both ways through the reference and forwards over them', async () => {
    const tookMs = await waitFor(
      () => routeTo(a, 'g.b')?.nextHop === 'r' && routeTo(b, 'g.a')?.nextHop === 'r',
      20_000,
      'learned',
    );
    console.log(`A and B learned each other through ilp-connector in ${tookMs} ms`);
    assert.deepEqual(routeTo(a, 'g.b')?.path, ['g.r', 'g.b']);
    assert.equal(routeTo(a, 'g.b')?.origin, 'learned');
    assert.deepEqual(routeTo(b, 'g.a')?.path, ['g.r', 'g.a']);
    const seen = referenceRoutes();
    assert.equal(seen.get('g.a'), 'a');
    assert.equal(seen.get('g.b'), 'b');
    for (let i = 0; i < 5; i++) {
      assert.equal((await sendData(a, 'g.b.shop', 100n, `a-to-b-${i}`)).type, 13);
      assert.equal((await sendData(b, 'g.a.shop', 100n, `b-to-a-${i}`)).type, 13);
    }
  });

  it('withdraws the route when B goes away and forwards again when B comes back', async () => {
    await b.stop();
    const goneMs = await waitFor(() => routeTo(a, 'g.b') === undefined, 20_000, 'withdrawn at A');
    console.log(`A forgot g.b ${goneMs} ms after B stopped`);
    const refused = await sendData(a, 'g.b.shop', 100n, 'while-b-is-away');
    assert.equal(refused.type === 14 && refused.code, 'F02');

    b = bNode();
    await b.start();
    await waitConnected(b, 'r');
    const backMs = await waitFor(
      () => routeTo(a, 'g.b')?.nextHop === 'r' && routeTo(b, 'g.a')?.nextHop === 'r',
      30_000,
      'relearned',
    );
    console.log(`A and B relearned each other ${backMs} ms after B reconnected`);
    assert.equal((await sendData(a, 'g.b.shop', 100n, 'b-is-back')).type, 13);
    assert.equal((await sendData(b, 'g.a.shop', 100n, 'a-still-there')).type, 13);
  });
});
