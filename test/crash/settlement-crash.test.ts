/**
 * Settlement survives kill -9 (acceptance: "Kill -9 of either node between claim and redemption
 * loses no claim and no redeemable value"). Two `connector start` processes settle on anvil
 * (chain id 8453): A pays B by claims once it owes the threshold (1000) and on every poll (1 s);
 * B holds the claims (redeemMinimum huge) until the last step. Both keep a durable ledger
 * (journal + fsync) and their channels in a state file, in a temp dir.
 *
 * 1. B is killed right after acknowledging a claim: after a restart it still holds the claim and
 *    its ledger credits it once (the re-applied booking is idempotent).
 * 2. A is killed after signing and saving a claim B never received (B down): after restarts A
 *    sends the same claim again, its ledger books it once, and the next claim takes nonce + 1.
 * 3. Either node is killed at seeded random moments while packets flow and claims are made:
 *    before each restart B's accepted claim is at most A's saved claim; after it both agree, and
 *    each ledger moved exactly the claimed cumulative amount.
 * 4. A restart after more than the ledger's idempotency window (10,000 postings) of traffic since
 *    the latest claim must not credit that claim again.
 * 5. B restarts with redeemMinimum 1 and redeems: its token balance grows by exactly the last claim.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ConnectorNode } from '../../src/index.js';
import {
  type OutgoingChannel,
  parseState,
  type SettlementState,
} from '../../src/settlement/channels/channel-store.js';
import { CliNode, cliNodeYaml, type LogLine } from '../helpers/cli-node.js';
import { baseConfig, makeNode, sendData, waitConnected } from '../helpers/nodes.js';
import { freePort } from '../helpers/ports.js';
import { mulberry32 } from '../helpers/prng.js';
import { TestBls } from '../helpers/test-bls.js';
import { ANVIL_KEYS } from '../settlement/anvil.js';
import {
  addressOf,
  blockchainOf,
  FACTOR,
  startTestChain,
  type TestChain,
} from '../settlement/chain-fixture.js';

const KEY_A = ANVIL_KEYS[1];
const KEY_B = ANVIL_KEYS[2];
const THRESHOLD = 1000n;
const HOLD_ALL = 10n ** 30n;
const SEED = 0x5e77_1e;
const RANDOM_KILLS = 6;
/** The journal ledger's default idempotency window (MemoryLedgerOptions.maxRememberedTransfers). */
const LEDGER_ID_WINDOW = 10_000;
const SYNC_TIMEOUT_MS = 15_000;
/** Bounds each step, so a hang fails the step instead of the whole run. */
const STEP_TIMEOUT_MS = 60_000;
const POLL_EVERY_MS = 25;
const REFUSED = 'settlement: refused a claim from a peer';
const PEER_REFUSED = 'settlement: the peer refused our claim';

interface Channel {
  nonce: bigint;
  transferred: bigint;
  deposit: bigint;
  acknowledgedNonce: bigint;
  redeemed: bigint;
}

interface Balance {
  debit: bigint;
  credit: bigint;
}

const dir = mkdtempSync(join(tmpdir(), 'settle-crash-'));
const random = mulberry32(SEED);
const bls = new TestBls();
/** Every process started, dead or alive: their logs are checked for refused claims. */
const processes: CliNode[] = [];
let chain: TestChain;
let blsUrl: string;
let bBtpPort: number;
let a: CliNode;
let b: CliNode;
let c: ConnectorNode | undefined;
/** ILP units of packets A saw fulfilled, and how far B's debit of A may exceed it (kills). */
let fulfilledIlp = 0n;
let inFlightAtKillsIlp = 0n;

const paths = {
  aState: join(dir, 'a', 'settlement.json'),
  bState: join(dir, 'b', 'settlement.json'),
};

function nodeYaml(id: 'a' | 'b', redeemMinimum = HOLD_ALL): string {
  const side =
    id === 'a'
      ? {
          peers: [
            { id: 'b', url: `ws://127.0.0.1:${bBtpPort}`, authToken: '', evmAddress: addressOf(KEY_B) },
          ],
          routes: [{ prefix: 'g.b', nextHop: 'b' }],
        }
      : {
          peers: [
            { id: 'a', authToken: '', evmAddress: addressOf(KEY_A) },
            { id: 'c', authToken: '' },
          ],
          routes: [],
          localDelivery: { enabled: true, handlerUrl: blsUrl, timeout: 2000 },
        };
  // The ledger's and settlement state's paths come from the environment (startNode).
  return cliNodeYaml({
    id,
    btpPort: id === 'b' ? bBtpPort : 0,
    ...side,
    btp: { requestTimeoutMs: 3000 },
    settlement: {
      ...(id === 'a' ? { threshold: String(THRESHOLD) } : {}),
      pollingIntervalMs: id === 'a' ? 1000 : 3_600_000,
    },
    settlementInfra: {
      challengePeriodSeconds: 60,
      minChallengePeriodSeconds: 60,
      chainPollingIntervalMs: 20,
      watchIntervalMs: 3_600_000,
      initialDeposit: String(3000n * FACTOR),
      redeemMinimum: String(redeemMinimum),
    },
    blockchain: blockchainOf(chain),
  });
}

/** Starts A or B as an operator would, and waits until its chain is connected. */
async function startNode(id: 'a' | 'b', redeemMinimum?: bigint): Promise<CliNode> {
  const file = CliNode.write(dir, `${id}-${processes.length}`, nodeYaml(id, redeemMinimum));
  const node = new CliNode(file, {
    EVM_PRIVATE_KEY: id === 'a' ? KEY_A : KEY_B,
    LEDGER_SNAPSHOT_PATH: join(dir, id, 'ledger', 'snapshot.json'),
    SETTLEMENT_STATE_PATH: id === 'a' ? paths.aState : paths.bState,
  });
  processes.push(node);
  await node.started();
  await node.waitForLog((l) => l.msg === 'settlement: chain connected');
  return node;
}

async function kill(node: CliNode): Promise<void> {
  node.kill();
  await node.exited();
}

async function api(node: CliNode, method: string, path: string, body?: unknown): Promise<unknown> {
  const init: RequestInit = { method };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { 'content-type': 'application/json' };
  }
  const res = await fetch(`http://127.0.0.1:${node.adminPort}${path}`, init);
  const json = (await res.json()) as unknown;
  assert.equal(res.status, 200, `${method} ${path}: ${JSON.stringify(json)}`);
  return json;
}

/** A's outgoing or B's incoming channel as the admin API shows it. */
async function channelOf(node: CliNode, direction: 'outgoing' | 'incoming'): Promise<Channel | undefined> {
  const { channels } = (await api(node, 'GET', '/admin/channels')) as {
    channels: Record<string, string>[];
  };
  const found = channels.filter((ch) => ch.direction === direction && ch.status !== 'settled');
  assert.ok(found.length <= 1, `one ${direction} channel at most: ${JSON.stringify(found)}`);
  const ch = found[0];
  if (ch === undefined) return undefined;
  return {
    nonce: BigInt(ch.nonce!),
    transferred: BigInt(ch.transferred!),
    deposit: BigInt(ch.deposit!),
    acknowledgedNonce: BigInt(ch.acknowledgedNonce ?? '0'),
    redeemed: BigInt(ch.redeemed ?? '0'),
  };
}

async function balanceOf(node: CliNode, peerId: string): Promise<Balance> {
  const body = (await api(node, 'GET', `/admin/balances/${peerId}`)) as Record<string, string>;
  assert.equal(body.pendingDebit, '0');
  assert.equal(body.pendingCredit, '0');
  return { debit: BigInt(body.debitBalance!), credit: BigInt(body.creditBalance!) };
}

function savedState(path: string): SettlementState {
  return parseState(readFileSync(path, 'utf8'));
}

/** Polls `probe` until it returns a value, or fails after `timeoutMs`. */
async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = SYNC_TIMEOUT_MS) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_EVERY_MS));
  }
}

/** A sends one packet to B through its admin API; true when B fulfilled it. */
async function pay(amount: bigint, note: string): Promise<boolean> {
  const res = (await api(a, 'POST', '/admin/ilp/send', {
    destination: 'g.b.shop',
    amount: amount.toString(),
    data: Buffer.from(`accept: ${note}`).toString('base64'),
    timeoutMs: 3000,
  })) as { fulfilled: boolean };
  if (res.fulfilled) fulfilledIlp += amount;
  return res.fulfilled;
}

async function linked(): Promise<void> {
  await until('A linked to B', async () => {
    const { peers } = (await api(a, 'GET', '/admin/peers')) as {
      peers: { id: string; connected: boolean }[];
    };
    return peers.find((p) => p.id === 'b')?.connected === true ? true : undefined;
  });
}

/** The same claim: nonce, amount and acknowledgement. */
function sameClaim(x: Channel, y: Channel | undefined): boolean {
  return (
    y !== undefined &&
    x.nonce === y.nonce &&
    x.transferred === y.transferred &&
    x.acknowledgedNonce === y.acknowledgedNonce
  );
}

/**
 * Waits until A owes B nothing and B holds exactly A's latest claim, acknowledged; then checks
 * that each ledger moved the claimed cumulative amount once. Returns the claim.
 *
 * Channels and balances come from separate requests, so one poll reads them at different
 * moments, and A may sign, book and send its next claim in between (a poll after a restart
 * finds the packets fulfilled since). The balances are therefore read between two reads of both
 * channels, and taken only when neither channel changed: A shows a claim once it is signed,
 * before it books it, and B can get it only after that, so both ledgers are then at the claim
 * read.
 */
async function settledAndAgreed(): Promise<Channel> {
  const [out, inc, balA, balB] = await until('A settled and B holding its latest claim', async () => {
    const [o, i] = await Promise.all([channelOf(a, 'outgoing'), channelOf(b, 'incoming')]);
    if (o === undefined || i === undefined) return undefined;
    if (o.acknowledgedNonce !== o.nonce || i.nonce !== o.nonce) return undefined;
    const [ba, bb] = await Promise.all([balanceOf(a, 'b'), balanceOf(b, 'a')]);
    if (ba.credit !== ba.debit) return undefined;
    const [o2, i2] = await Promise.all([channelOf(a, 'outgoing'), channelOf(b, 'incoming')]);
    if (!sameClaim(o, o2) || !sameClaim(i, i2)) return undefined;
    return [o, i, ba, bb] as const;
  });
  assert.equal(inc.transferred, out.transferred, 'B holds the amount A signed');
  assert.equal(balA.debit * FACTOR, out.transferred, "A's ledger booked every claim once");
  assert.equal(balB.credit * FACTOR, inc.transferred, "B's ledger credited every claim once");
  // A books a Fulfill before answering its caller, B before sending it: a kill in between leaves
  // the later books ahead, by no more than the packets in flight at kills.
  const top = fulfilledIlp + inFlightAtKillsIlp;
  const books = `A owes ${balA.credit}, B is owed ${balB.debit}, fulfilled ${fulfilledIlp} + ${inFlightAtKillsIlp}`;
  assert.ok(balA.credit >= fulfilledIlp && balA.credit <= top, books);
  assert.ok(balB.debit >= balA.credit && balB.debit <= top, books);
  assert.ok(out.deposit >= out.transferred, 'the claim is covered by the deposit');
  return out;
}

function refusals(): LogLine[] {
  return processes.flatMap((p) => p.lines.filter((l) => l.msg === REFUSED || l.msg === PEER_REFUSED));
}

before(async () => {
  chain = await startTestChain(8453);
  blsUrl = await bls.listen();
  bBtpPort = await freePort();
  b = await startNode('b');
  a = await startNode('a');
  await linked();
});

after(async () => {
  await c?.stop();
  await Promise.all(processes.map(kill));
  await bls.close();
  await chain?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('settlement across kill -9 of either node', () => {
  let bTokensBefore: bigint;

  const step = { timeout: STEP_TIMEOUT_MS };

  it('B killed right after acknowledging a claim still holds it and credited it once', step, async () => {
    bTokensBefore = await chain.balanceOf(addressOf(KEY_B));
    assert.equal(await pay(THRESHOLD, 'first'), true);
    const claim = await settledAndAgreed();
    assert.equal(claim.nonce, 1n);
    assert.equal(claim.transferred, THRESHOLD * FACTOR);

    await kill(b);
    const saved = savedState(paths.bState).incoming;
    assert.equal(saved.length, 1);
    assert.equal(saved[0]?.nonce, 1n);
    assert.equal(saved[0]?.transferred, THRESHOLD * FACTOR);
    assert.ok(saved[0]?.signature, 'the signed claim is on disk');

    b = await startNode('b');
    const held = await channelOf(b, 'incoming');
    assert.equal(held?.nonce, 1n);
    assert.equal(held?.transferred, THRESHOLD * FACTOR);
    assert.equal(held?.redeemed, 0n);
    assert.deepEqual(await balanceOf(b, 'a'), { debit: THRESHOLD, credit: THRESHOLD });
    await linked();
    await settledAndAgreed();
  });

  it(
    'A killed after signing a claim B never received sends it again and goes on at nonce + 1',
    step,
    async () => {
      const before = await settledAndAgreed();
      // B dies right after the packet; A's next poll signs and saves a claim it cannot deliver.
      // Should the poll win the race and the claim reach B before it dies, try again.
      let unsent: OutgoingChannel | undefined;
      for (let attempt = 0; attempt < 3 && unsent === undefined; attempt++) {
        const last = savedState(paths.aState).outgoing[0]!;
        assert.equal(await pay(500n, `unsent ${attempt}`), true);
        await kill(b);
        // The state file, not the API: the API shows a claim as soon as it is signed, before it is saved.
        const signed = await until('A to save a claim while B is down', async () => {
          const o = savedState(paths.aState).outgoing[0];
          return o !== undefined && o.nonce > last.nonce ? o : undefined;
        });
        if (savedState(paths.bState).incoming[0]!.nonce < signed.nonce) unsent = signed;
        else {
          b = await startNode('b');
          await linked();
        }
      }
      assert.ok(unsent !== undefined, 'A saved a claim while B was down');
      await kill(a);

      const savedA = savedState(paths.aState).outgoing[0]!;
      assert.equal(savedA.nonce, unsent.nonce, "A's claim is on disk");
      assert.equal(savedA.acknowledgedNonce, unsent.nonce - 1n, 'not acknowledged');
      assert.equal(savedA.transferred, unsent.transferred);
      assert.ok(savedA.signature);
      assert.equal(savedState(paths.bState).incoming[0]?.nonce, unsent.nonce - 1n, 'B never saw it');

      b = await startNode('b');
      a = await startNode('a');
      const resent = await settledAndAgreed();
      assert.equal(resent.nonce, unsent.nonce, 'the same claim, sent again on link-up or poll');
      assert.equal(resent.transferred, unsent.transferred);
      assert.ok(resent.transferred > before.transferred);

      assert.equal(await pay(THRESHOLD, 'after the restart'), true);
      const next = await until('the next claim', async () => {
        const o = await channelOf(a, 'outgoing');
        return o !== undefined && o.nonce > resent.nonce ? o : undefined;
      });
      assert.equal(next.nonce, resent.nonce + 1n);
      assert.equal(next.transferred, resent.transferred + THRESHOLD * FACTOR);
      const agreed = await settledAndAgreed();
      assert.equal(agreed.nonce, next.nonce);
      assert.deepEqual(refusals(), [], 'B refused no claim (no stale nonce)');
    },
  );

  it(`either node killed at ${RANDOM_KILLS} seeded random moments loses no claim`, step, async (t) => {
    for (let round = 0; round < RANDOM_KILLS; round++) {
      const victim = round % 2 === 0 ? 'a' : 'b';
      const before = await settledAndAgreed();
      const inFlight = new Map<number, bigint>();
      let stop = false;
      let seq = 0;
      let fulfilled = 0;
      const target = 1 + Math.floor(random() * 8);
      const delayMs = Math.floor(random() * 25);
      let onTarget = () => {};
      const reached = new Promise<void>((resolve) => {
        onTarget = resolve;
      });
      const sender = async () => {
        while (!stop) {
          const id = ++seq;
          const amount = BigInt(100 + Math.floor(random() * 600));
          inFlight.set(id, amount);
          try {
            if (await pay(amount, `round ${round} packet ${id}`)) fulfilled++;
          } catch {
            stop = true; // A died under the request
            return;
          }
          inFlight.delete(id);
          if (fulfilled >= target) onTarget();
        }
      };
      const senders = [sender(), sender()];
      await reached;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      // Packets unanswered at the kill may have been fulfilled (and debited) by B, whatever A says.
      inFlightAtKillsIlp += [...inFlight.values()].reduce((x, y) => x + y, 0n);
      await kill(victim === 'a' ? a : b);
      stop = true;
      await Promise.all(senders);

      const signed =
        victim === 'a' ? savedState(paths.aState).outgoing[0]! : (await channelOf(a, 'outgoing'))!;
      const held = victim === 'b' ? savedState(paths.bState).incoming[0]! : (await channelOf(b, 'incoming'))!;
      const at = `round ${round} (kill ${victim} after ${target} packets + ${delayMs} ms)`;
      const acked = 'acknowledgedNonce' in signed ? signed.acknowledgedNonce : undefined;
      t.diagnostic(`${at}: A signed nonce ${signed.nonce} (acknowledged ${acked}), B held ${held.nonce}`);
      assert.ok(held.nonce <= signed.nonce, `${at}: B holds a claim A did not save`);
      assert.ok(held.transferred <= signed.transferred, `${at}: B holds more than A signed`);
      if (held.nonce === signed.nonce) assert.equal(held.transferred, signed.transferred, at);

      if (victim === 'a') a = await startNode('a');
      else b = await startNode('b');
      await linked();
      const after = await settledAndAgreed();
      assert.ok(after.nonce >= signed.nonce, `${at}: A went back to an older nonce`);
      assert.ok(after.nonce >= before.nonce);
    }
    assert.deepEqual(refusals(), [], 'B refused no claim');
  });

  it(
    `a restart after ${LEDGER_ID_WINDOW} postings since the latest claim does not credit it again`,
    step,
    async () => {
      const claim = await settledAndAgreed();
      const creditBefore = (await balanceOf(b, 'a')).credit;
      assert.equal(creditBefore * FACTOR, claim.transferred);
      // Traffic from another peer (no settlement) fills B's ledger idempotency window.
      c = makeNode(
        baseConfig('c', {
          peers: [{ id: 'b', url: `ws://127.0.0.1:${bBtpPort}`, authToken: '' }],
          routes: [{ prefix: 'g.b', nextHop: 'b' }],
        }),
      );
      await c.start();
      await waitConnected(c, 'b');
      const packets = LEDGER_ID_WINDOW + 100;
      let next = 0;
      const worker = async () => {
        while (next < packets) {
          const n = next++;
          const reply = await sendData(c!, 'g.b.shop', 1n, `accept: filler ${n}`);
          assert.equal(reply.type, 13);
        }
      };
      await Promise.all(Array.from({ length: 64 }, worker));
      await c.stop();
      c = undefined;
      assert.equal((await balanceOf(b, 'c')).debit, BigInt(packets));

      await kill(b);
      b = await startNode('b');
      assert.equal((await balanceOf(b, 'c')).debit, BigInt(packets), "B's books of C survived");
      // settlement/engine/account-manager.ts AccountManager.rebook books the latest claim again under its id; the journal ledger
      // remembers only the last 10,000 ids, so the claim must not depend on the id alone.
      const latest = savedState(paths.bState).incoming[0]!;
      assert.equal(
        (await balanceOf(b, 'a')).credit,
        creditBefore,
        `B's restart credited A's latest claim (nonce ${latest.nonce}, ${latest.ledgerDelta}) again`,
      );
    },
  );

  it('B, restarted with redeemMinimum 1, redeems exactly the latest claim', step, async () => {
    await linked();
    const out = (await channelOf(a, 'outgoing'))!;
    assert.equal(await chain.balanceOf(addressOf(KEY_B)), bTokensBefore, 'B held every claim until now');
    await kill(b);
    b = await startNode('b', 1n);
    const redeemed = await until('B to redeem', async () => {
      const inc = await channelOf(b, 'incoming');
      return inc !== undefined && inc.redeemed === inc.transferred ? inc : undefined;
    });
    assert.equal(redeemed.transferred, out.transferred);
    assert.equal((await chain.balanceOf(addressOf(KEY_B))) - bTokensBefore, out.transferred);
    assert.deepEqual(refusals(), []);
  });
});
