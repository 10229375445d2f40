/**
 * Open admission (btp.admission, docs/routing.md): unknown agents dialing in over real sockets
 * become children `<own>.<username>`, learn that address by IL-DCP (ilp-protocol-ildcp), receive
 * payments and spend only what they received (zero credit); configured ids are never taken;
 * maxAgents holds; idle agents are evicted and their balances stay.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Ildcp from 'ilp-protocol-ildcp';
import { CLOSE_CODE } from '../../src/btp/types.js';
import { BINDINGS_FILE } from '../../src/core/admission.js';
import type { ConnectorNode } from '../../src/index.js';
import { RawClient } from '../btp/helpers.js';
import { fulfillNext, rawPay, refused } from '../helpers/agents.js';
import { baseConfig, dataFulfillment, dataLock, makeNode, sendData } from '../helpers/nodes.js';
import { type BtpPlugin, dialPlugin, IlpPacket } from '../helpers/plugins.js';

const AGENTS = 1000;
const BATCH = 50;

/** Runs fn(0..n-1), at most `size` at once, in order of index. */
async function inBatches<T>(n: number, size: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let start = 0; start < n; start += size) {
    const batch = [];
    for (let i = start; i < Math.min(n, start + size); i++) batch.push(fn(i));
    out.push(...(await Promise.all(batch)));
  }
  return out;
}

/** An agent's Prepare (data-derived condition, so the node's handler can accept it); the reply's type and code. */
async function pay(plugin: BtpPlugin, destination: string, amount: bigint, text: string): Promise<string> {
  const data = Buffer.from(text);
  const prepare = IlpPacket.serializeIlpPrepare({
    amount: amount.toString(),
    expiresAt: new Date(Date.now() + 10_000),
    executionCondition: dataLock(data),
    destination,
    data,
  });
  const reply = IlpPacket.deserializeIlpPacket(await plugin.sendData(prepare));
  return reply.typeString === 'ilp_fulfill' ? 'fulfill' : String(reply.data.code);
}

/** Fulfills every Prepare by the data-derived scheme (fulfillment = sha256(data)). */
function fulfillAll(plugin: BtpPlugin, received: bigint[], index: number): void {
  plugin.registerDataHandler(async (bytes) => {
    const prepare = IlpPacket.deserializeIlpPrepare(bytes);
    received[index] = (received[index] ?? 0n) + BigInt(prepare.amount);
    return IlpPacket.serializeIlpFulfill({
      fulfillment: dataFulfillment(prepare.data),
      data: Buffer.alloc(0),
    });
  });
}

describe(`open admission: ${AGENTS} agents`, { timeout: 90_000 }, () => {
  let hub: ConnectorNode;
  const plugins: BtpPlugin[] = [];
  const received: bigint[] = [];
  const name = (i: number) => `agent-${i}`;

  before(async () => {
    hub = makeNode(
      baseConfig('hub', {
        ilpAddress: 'g.hub',
        peers: [{ id: 'bank', authToken: 'bank-secret' }],
        routes: [{ prefix: 'g.hub.shop', nextHop: 'bank' }],
        btp: {
          authAttemptsPerAddress: 100_000,
          admission: {
            mode: 'open',
            maxAgents: AGENTS,
            idleEvictMs: 600_000,
            rateLimit: { packetsPerSecond: 1, burst: 20 },
            reservedUsernames: ['wallet'],
          },
        },
      }),
    );
    await hub.start();
    hub.setPacketHandler(() => ({ accept: true }));
  });

  after(async () => {
    await Promise.all(plugins.map((p) => p.disconnect()));
    await hub?.stop();
  });

  it('every agent connects and learns <hub>.<username> by IL-DCP', async () => {
    const addresses = await inBatches(AGENTS, BATCH, async (i) => {
      const plugin = await dialPlugin(hub.btpPort, name(i), `token-${i}`);
      plugins[i] = plugin;
      fulfillAll(plugin, received, i);
      const info = await Ildcp.fetch(plugin.sendData.bind(plugin));
      return info.clientAddress;
    });
    for (let i = 0; i < AGENTS; i++) assert.equal(addresses[i], `g.hub.${name(i)}`);
    const agents = hub.listPeers().filter((p) => p.id.startsWith('agent-'));
    assert.equal(agents.length, AGENTS);
    assert.ok(agents.every((p) => p.relation === 'child' && p.connected));
  });

  it(`one more agent is refused with T00 while ${AGENTS} are admitted`, async () => {
    const told = await refused(hub.btpPort, 'one-too-many', 'tok', 'T00');
    assert.match(told, /full/);
    assert.equal(hub.listPeers().length, AGENTS + 1); // the agents and the configured bank
  });

  it("an agent cannot take a configured peer's id, the node's id, a routed or reserved name, or a non-segment", async () => {
    await refused(hub.btpPort, 'bank', 'guess', 'F00');
    await refused(hub.btpPort, 'hub', 'guess', 'F00');
    await refused(hub.btpPort, 'shop', 'guess', 'F00'); // g.hub.shop is routed to bank
    await refused(hub.btpPort, 'wallet', 'guess', 'F00'); // reservedUsernames
    assert.match(await refused(hub.btpPort, 'a.b', 'tok', 'F00'), /A-Z a-z 0-9/);
    // A known agent's name with another token is refused like any wrong token.
    await refused(hub.btpPort, name(3), 'not-its-token', 'F00');
  });

  it('agents receive payments and spend only what they received', async () => {
    // Every tenth agent is paid nothing: it has no credit at all.
    const paid = (i: number) => i % 10 !== 0;
    const payouts = await inBatches(AGENTS, 100, (i) =>
      paid(i)
        ? sendData(hub, `g.hub.${name(i)}`, 100n, `payout ${i}`).then((r) => r.type)
        : Promise.resolve(13),
    );
    assert.ok(payouts.every((t) => t === 13));
    for (let i = 0; i < AGENTS; i++) assert.equal(received[i] ?? 0n, paid(i) ? 100n : 0n);
    const outcomes = await inBatches(AGENTS, BATCH, async (i) => {
      const p = plugins[i]!;
      if (!paid(i)) return [await pay(p, 'g.hub', 1n, `spend ${i}`)];
      return [
        await pay(p, 'g.hub', 60n, `a ${i}`),
        await pay(p, 'g.hub', 50n, `b ${i}`),
        await pay(p, 'g.hub', 40n, `c ${i}`),
        await pay(p, 'g.hub', 1n, `d ${i}`),
      ];
    });
    for (let i = 0; i < AGENTS; i++) {
      const expected = paid(i) ? ['fulfill', 'T04', 'fulfill', 'T04'] : ['T04'];
      assert.deepEqual(outcomes[i], expected, name(i));
    }
    const balance = await hub.getBalance(name(1));
    assert.equal(balance.creditBalance, 100n);
    assert.equal(balance.debitBalance, 100n);
    assert.equal(balance.pendingDebit, 0n);
  });

  it('an agent above its packet rate gets T05', async () => {
    const codes = await Promise.all(
      Array.from({ length: 40 }, (_, k) => pay(plugins[7]!, 'g.hub', 0n, `burst ${k}`)),
    );
    assert.ok(codes.includes('T05'), codes.join(' '));
    assert.ok(codes.includes('fulfill'));
  });
});

describe('open admission: bounded and evicted when idle', { timeout: 30_000 }, () => {
  let hub: ConnectorNode;
  const open: RawClient[] = [];

  before(async () => {
    hub = makeNode(
      baseConfig('hub2', {
        ilpAddress: 'g.hub2',
        btp: { admission: { mode: 'open', maxAgents: 2, idleEvictMs: 1500 } },
      }),
    );
    await hub.start();
    hub.setPacketHandler(() => ({ accept: true }));
  });

  after(async () => {
    await Promise.all(open.map((c) => c.close()));
    await hub?.stop();
  });

  it('holds maxAgents, evicts idle agents keeping their balance, and keeps each name bound to its token', async () => {
    const a = await RawClient.authed(hub.btpPort, 'a', 'ta');
    const b = await RawClient.authed(hub.btpPort, 'b', 'tb');
    open.push(a, b);
    await refused(hub.btpPort, 'c', 'tc', 'T00');
    const fulfilled = fulfillNext(a);
    const payout = await sendData(hub, 'g.hub2.a', 10n, 'payout');
    await fulfilled;
    assert.equal(payout.type, 13);

    // Idle for idleEvictMs: both links are closed by the node and the agents forgotten.
    assert.equal(await a.closed, CLOSE_CODE.goingAway);
    assert.equal(await b.closed, CLOSE_CODE.goingAway);
    assert.deepEqual(hub.listPeers(), []);
    assert.ok(!hub.listRoutes().some((r) => r.prefix.startsWith('g.hub2.')));
    assert.equal((await hub.getBalance('a')).creditBalance, 10n);

    // Room again; a's name stays a's.
    const c = await RawClient.authed(hub.btpPort, 'c', 'tc');
    open.push(c);
    await refused(hub.btpPort, 'a', 'someone-else', 'F00');
    const again = await RawClient.authed(hub.btpPort, 'a', 'ta');
    open.push(again);
    assert.equal(await rawPay(again, 'g.hub2', 11n, 'too much'), 'T04');
    assert.equal(await rawPay(again, 'g.hub2', 10n, 'all of it'), 'fulfill');
    assert.equal(await rawPay(again, 'g.hub2', 1n, 'one more'), 'T04');
    await refused(hub.btpPort, 'd', 'td', 'T00');
  });
});

describe('open admission: what the operator and the bounds decide', { timeout: 30_000 }, () => {
  it('an agent removed by the operator frees its slot; its id cannot be registered over; bindings are bounded', async () => {
    const hub = makeNode(
      baseConfig('hub4', {
        ilpAddress: 'g.hub4',
        btp: { admission: { mode: 'open', maxAgents: 2, idleEvictMs: 1500, maxRememberedAgents: 1 } },
      }),
    );
    await hub.start();
    const open: RawClient[] = [];
    try {
      const a = await RawClient.authed(hub.btpPort, 'a', 'ta');
      open.push(a);
      await assert.rejects(hub.registerPeer({ id: 'a', authToken: 'x' }), /already exists/);
      assert.equal((await hub.removePeer('a')).removed, true);
      assert.equal(await a.closed, CLOSE_CODE.goingAway);
      const b = await RawClient.authed(hub.btpPort, 'b', 'tb');
      const c = await RawClient.authed(hub.btpPort, 'c', 'tc');
      open.push(b, c);
      await refused(hub.btpPort, 'd', 'td', 'T00');
      // Both idle: evicted. One binding is remembered (c's, the newest): b's name is free again.
      assert.equal(await b.closed, CLOSE_CODE.goingAway);
      assert.equal(await c.closed, CLOSE_CODE.goingAway);
      await refused(hub.btpPort, 'c', 'other', 'F00');
      open.push(await RawClient.authed(hub.btpPort, 'b', 'other'));
    } finally {
      await Promise.all(open.map((client) => client.close()));
      await hub.stop();
    }
  });
});

describe('open admission: token bindings across a restart', { timeout: 30_000 }, () => {
  it("a restarted node still binds an agent's name to its token (nobody else takes its balance)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'admission-bindings-'));
    const config = baseConfig('hub5', {
      ilpAddress: 'g.hub5',
      btp: { admission: { mode: 'open' } },
      settlement: { ledgerDurability: 'fsync', ledgerSnapshotPath: join(dir, 'ledger.json') },
    });
    const open: RawClient[] = [];
    try {
      let hub = makeNode(config);
      await hub.start();
      open.push(await RawClient.authed(hub.btpPort, 'x', 'tx'));
      await Promise.all(open.splice(0).map((c) => c.close()));
      await hub.stop();
      assert.match(readFileSync(join(dir, BINDINGS_FILE), 'utf8'), /"u":"x"/);
      hub = makeNode(config);
      await hub.start();
      try {
        await refused(hub.btpPort, 'x', 'someone else', 'F00');
        open.push(await RawClient.authed(hub.btpPort, 'x', 'tx'));
      } finally {
        await Promise.all(open.splice(0).map((c) => c.close()));
        await hub.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('admission closed (the default)', { timeout: 10_000 }, () => {
  it('refuses an unknown username as before', async () => {
    const hub = makeNode(baseConfig('hub3'));
    await hub.start();
    try {
      assert.equal(await refused(hub.btpPort, 'stranger', 'tok', 'F00'), 'authentication failed');
    } finally {
      await hub.stop();
    }
  });
});
