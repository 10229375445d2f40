/**
 * Interop with ilp-protocol-stream 2.7.1 (npm): a STREAM client pays a STREAM server across two of
 * our nodes, X and Y, peered over BTP. Each STREAM endpoint is an ilp-plugin-btp client dialing its
 * node as a configured `child`, so it learns its address (and asset) by IL-DCP from our node.
 *
 *   alice | carol (STREAM clients) -> X ==BTP== Y -> bob (STREAM server)
 *
 * Proves: IL-DCP answers the reference client and server; STREAM's exchange-rate probe sees exactly
 * 1:1 through two hops (the client runs with slippage 0, so a hop that delivered one unit less
 * would make the server refuse the packet); every fulfilled unit reaches the server and is booked
 * exactly once on every hop (the probe's unfulfillable packets and the zero-amount closing frames
 * book nothing); and with a maxPacketAmount on the sender's link, STREAM learns the limit from our
 * F08 data and splits the payment into packets that each fit.
 *
 * The server closes each connection once paid (the client then closes too). The other order does
 * not end cleanly with 2.7.1: when the client closes first, it disconnects its plugin at once, the
 * server's final StreamClose frame finds no link (T01 from X) and the server retries it until its
 * idle timeout, so `server.close()` would hang.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import type { ConnectorNode, PeerAccountBalance } from '../../src/index.js';
import { baseConfig, btpUrl, makeNode, waitConnected } from '../helpers/nodes.js';
import { type BtpPlugin, BtpPluginClass } from '../helpers/plugins.js';
import { IlpStream, type StreamConnection, type StreamServer } from '../helpers/stream.js';

const MAX_PACKET = 1000n;
const U64_MAX = '18446744073709551615';

function childPlugin(node: ConnectorNode, username: string, token: string): BtpPlugin {
  return new BtpPluginClass({ server: `btp+ws://${username}:${token}@127.0.0.1:${node.btpPort}` });
}

/** What the server saw on one connection (identified by its connection tag). */
class Receipts {
  readonly packets: bigint[] = [];
  total = 0n;
  connection: StreamConnection | undefined;
  private waiter: (() => void) | undefined;

  add(amount: bigint): void {
    this.packets.push(amount);
    this.total += amount;
    this.waiter?.();
  }

  /** Resolves once the server has received at least `total` (its 'money' events). */
  reached(total: bigint): Promise<void> {
    return new Promise((resolve) => {
      this.waiter = () => {
        if (this.total < total) return;
        this.waiter = undefined;
        resolve();
      };
      this.waiter();
    });
  }
}

describe('ilp-protocol-stream across two of our nodes', { timeout: 40_000 }, () => {
  let x: ConnectorNode;
  let y: ConnectorNode;
  let server: StreamServer;
  const cases = new Map<string, Receipts>();
  const openClients = new Set<StreamConnection>();

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
      const receipts = cases.get(connection.connectionTag ?? '');
      if (receipts === undefined) return;
      receipts.connection = connection;
      connection.on('stream', (stream) => {
        stream.setReceiveMax(U64_MAX);
        stream.on('money', (amount: string) => receipts.add(BigInt(amount)));
      });
    });
  });

  after(async () => {
    for (const client of openClients) await client.destroy().catch(() => undefined);
    await server?.close();
    await x?.stop();
    await y?.stop();
  });

  async function positions(sender: string): Promise<Record<string, PeerAccountBalance>> {
    return {
      [`x:${sender}`]: await x.getBalance(sender),
      'x:y': await x.getBalance('y'),
      'y:x': await y.getBalance('x'),
      'y:bob': await y.getBalance('bob'),
    };
  }

  async function pay(sender: 'alice' | 'carol', tag: string, amount: bigint): Promise<Receipts> {
    const { destinationAccount, sharedSecret } = server.generateAddressAndSecret(tag);
    assert.match(destinationAccount, /^g\.y\.bob\./, 'the server got its address from Y by IL-DCP');
    assert.deepEqual([server.assetCode, server.assetScale], ['USD', 9], "and Y's default asset");
    const receipts = new Receipts();
    cases.set(tag, receipts);
    const before = await positions(sender);

    const client = await IlpStream.createConnection({
      plugin: childPlugin(x, sender, `${sender}-token`),
      destinationAccount,
      sharedSecret,
      slippage: 0,
    });
    openClients.add(client);
    assert.equal(client.sourceAccount, `g.x.${sender}`, 'the client got its address from X by IL-DCP');
    assert.equal(client.minimumAcceptableExchangeRate, '1', 'the probe saw exactly 1:1 with slippage 0');

    const stream = client.createStream();
    await stream.sendTotal(amount.toString(), { timeout: 20_000 });
    await receipts.reached(amount);
    assert.equal(stream.totalSent, amount.toString());
    assert.equal(client.totalDelivered, amount.toString());

    // The receiver closes; the client follows (and disconnects its plugin).
    const clientClosed = once(client, 'close');
    await receipts.connection!.end();
    await clientClosed;
    openClients.delete(client);

    assert.equal(receipts.total, amount, 'the server received exactly the amount sent');
    const after = await positions(sender);
    for (const [name, b] of Object.entries(after)) {
      assert.equal(b.pendingDebit + b.pendingCredit, 0n, `${name} still has amounts on hold`);
    }
    const delta = (k: string) => after[k]!.netBalance - before[k]!.netBalance;
    // X: the child owes X, X owes Y. Y: X owes Y, Y owes bob. Nothing more, nothing less.
    assert.equal(delta(`x:${sender}`), -amount);
    assert.equal(delta('x:y'), amount);
    assert.equal(delta('y:x'), -amount);
    assert.equal(delta('y:bob'), amount);
    return receipts;
  }

  it('pays a STREAM server in full; every hop books exactly the amount', async () => {
    await pay('alice', 'single', 123_456n);
  });

  it('splits a larger payment to fit the sender link maxPacketAmount (learned from F08)', async () => {
    const amount = 25_500n;
    const receipts = await pay('carol', 'split', amount);
    const minPackets = Number((amount + MAX_PACKET - 1n) / MAX_PACKET);
    assert.ok(
      receipts.packets.length >= minPackets,
      `expected >= ${minPackets} packets, got ${receipts.packets.length}`,
    );
    for (const p of receipts.packets)
      assert.ok(p > 0n && p <= MAX_PACKET, `a packet of ${p} exceeds ${MAX_PACKET}`);
  });
});
