/**
 * Balances that survive kill -9 (issue 5): a line A - B - C under load, where B is a real
 * `connector start` process with the durable default ledger (journal + fsync group commit, and
 * snapshots every 200 ms so compaction happens under fire). B is killed with SIGKILL at seeded
 * random moments (after a random number of fulfilled packets) and restarted, 20 times.
 *
 * After each restart, for each of B's peers, B's ledger is compared with what the endpoint saw
 * fulfilled (the endpoints' own ledgers):
 * - A (upstream, owes B): B's debit of A >= what A saw fulfilled, and exceeds it only by packets
 *   in flight at the kill (B books before passing a Fulfill on, and voids unfinished holds).
 * - C (downstream, B owes C): B's credit to C <= what C fulfilled, short only by Fulfills that
 *   were in flight inside B at the kill (their posting had not reached the disk).
 * - No hold outlives a restart: B's pending balances are 0.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import type { ConnectorNode } from '../../src/index.js';
import { CliNode, cliNodeYaml } from '../helpers/cli-node.js';
import { baseConfig, btpUrl, makeNode, sendData, waitConnected } from '../helpers/nodes.js';
import { freePort } from '../helpers/ports.js';
import { mulberry32 } from '../helpers/prng.js';

const KILLS = 20;
const CONCURRENCY = 16;
const SEED = 0x5eed_2026;

const dir = mkdtempSync(join(tmpdir(), 'crash-'));
const random = mulberry32(SEED);
let a: ConnectorNode;
let c: ConnectorNode;
let b: CliNode | undefined;
let bConfig: string;
let bBtpPort: number;

function middleConfig(cUrl: string): string {
  return cliNodeYaml({
    id: 'b',
    btpPort: bBtpPort,
    ledgerSnapshotPath: join(dir, 'ledger', 'snapshot.json'),
    peers: [
      { id: 'a', authToken: '' },
      { id: 'c', url: cUrl, authToken: '' },
    ],
    routes: [{ prefix: 'g.c', nextHop: 'c' }],
  });
}

async function startB(): Promise<CliNode> {
  const node = new CliNode(bConfig);
  await node.started();
  return node;
}

before(async () => {
  bBtpPort = await freePort();
  c = makeNode(
    baseConfig('c', { peers: [{ id: 'b', authToken: '' }], routes: [{ prefix: 'g', nextHop: 'b' }] }),
  );
  await c.start();
  c.setPacketHandler(() => ({ accept: true }));
  bConfig = CliNode.write(dir, 'b', middleConfig(btpUrl(c)));
  a = makeNode(
    baseConfig('a', {
      peers: [{ id: 'b', url: `ws://127.0.0.1:${bBtpPort}`, authToken: '' }],
      routes: [{ prefix: 'g', nextHop: 'b' }],
      btp: { reconnectMinMs: 20, reconnectMaxMs: 200 },
    }),
  );
  await a.start();
});

after(async () => {
  b?.kill();
  await a?.stop();
  await c?.stop();
  rmSync(dir, { recursive: true, force: true });
});

it('B killed with SIGKILL 20 times under load loses no booked money and keeps no hold', async () => {
  const outstanding = new Map<number, bigint>();
  let seq = 0;
  let fulfilledSinceKill = 0;
  let running = true;
  let onFulfilled: (() => void) | undefined;
  // While B's books are checked the senders wait here, so no new packet moves the balances.
  let gate: Promise<void> | undefined;
  let openGate = () => {};
  let onIdle: (() => void) | undefined;

  async function sender(): Promise<void> {
    while (running) {
      if (gate !== undefined) {
        await gate;
        continue;
      }
      if (!a.isConnected('b')) {
        await waitConnected(a, 'b');
        continue;
      }
      const id = ++seq;
      const amount = BigInt(1 + Math.floor(random() * 1000));
      outstanding.set(id, amount);
      const reply = await sendData(a, 'g.c.shop', amount, `packet ${id}`, 5000);
      outstanding.delete(id);
      if (outstanding.size === 0) onIdle?.();
      if (reply.type === 13) {
        fulfilledSinceKill++;
        onFulfilled?.();
      }
    }
  }

  b = await startB();
  const senders = Array.from({ length: CONCURRENCY }, () => sender());
  let upstreamExcess = 0n;
  let downstreamShortfall = 0n;

  for (let kill = 0; kill < KILLS; kill++) {
    await Promise.all([waitConnected(a, 'b'), waitConnected(c, 'b')]);
    // A seeded random moment: after 1..400 more fulfilled packets.
    const target = 1 + Math.floor(random() * 400);
    fulfilledSinceKill = 0;
    await new Promise<void>((resolve) => {
      onFulfilled = () => {
        if (fulfilledSinceKill >= target) resolve();
      };
    });
    onFulfilled = undefined;
    gate = new Promise((resolve) => {
      openGate = resolve;
    });
    b.kill();
    const inFlight = [...outstanding.values()].reduce((x, y) => x + y, 0n);
    // Every packet in flight is answered (a Fulfill that made it, or a reject when the link
    // dropped) before the endpoints' books are read.
    if (outstanding.size > 0) await new Promise<void>((resolve) => (onIdle = resolve));
    onIdle = undefined;
    await b.exited();

    b = await startB();
    const [balA, balC] = await Promise.all([balance(b.adminPort, 'a'), balance(b.adminPort, 'c')]);
    const seenByA = (await a.getBalance('b')).creditBalance;
    const seenByC = (await c.getBalance('b')).debitBalance;

    const excess = balA.debitBalance - seenByA;
    const shortfall = seenByC - balC.creditBalance;
    assert.ok(excess >= upstreamExcess, `kill ${kill}: B's debit of A is below what A saw fulfilled`);
    assert.ok(
      excess - upstreamExcess <= inFlight,
      `kill ${kill}: B's debit of A grew by more than was in flight`,
    );
    assert.ok(shortfall >= downstreamShortfall, `kill ${kill}: B owes C more than C fulfilled`);
    assert.ok(shortfall - downstreamShortfall <= inFlight, `kill ${kill}: B lost more than was in flight`);
    upstreamExcess = excess;
    downstreamShortfall = shortfall;
    for (const bal of [balA, balC]) {
      assert.equal(bal.pendingDebit, 0n, `kill ${kill}: a hold survived the restart`);
      assert.equal(bal.pendingCredit, 0n, `kill ${kill}: a hold survived the restart`);
    }
    gate = undefined;
    openGate();
  }

  running = false;
  await Promise.all(senders);
  assert.ok(seq > KILLS * 10, 'load ran');
  const code = await b.stop();
  assert.equal(code, 0);
});

async function balance(port: number, peer: string) {
  const res = await fetch(`http://127.0.0.1:${port}/admin/balances/${peer}`);
  assert.equal(res.status, 200);
  const body = (await res.json()) as Record<string, string>;
  return {
    debitBalance: BigInt(body.debitBalance!),
    creditBalance: BigInt(body.creditBalance!),
    pendingDebit: BigInt(body.pendingDebit!),
    pendingCredit: BigInt(body.pendingCredit!),
  };
}
