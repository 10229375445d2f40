/**
 * Books and chain agree after kill -9 under load (issue 15, acceptance: "kill -9 at 20+ random
 * moments under load, on both the payer and the payee, ends with the two nodes' books agreeing
 * to the unit with each other and with the chain after settlement: every packet a payee
 * fulfilled is paid").
 *
 * A line S - A - B: S (embedded, never killed, `reconcileInFlight` on) sends packets to B's BLS
 * through A. A (the payer) and B (the payee) are `connector start` processes with the durable
 * ledger (journal + fsync), `reconcileInFlight` on, and settlement on anvil: A pays B by claims
 * over BTP on a payment channel it opens and tops up (a claim every THRESHOLD owed, and on every
 * poll), B redeems on chain whenever REDEEM_MINIMUM is unredeemed. At seeded random moments (after
 * a random number of packets fulfilled) A or B, in turn, is killed with SIGKILL and restarted,
 * KILLS times, while the load goes on.
 *
 * Then the load stops, reconciliation settles the packets in flight at the kills, A settles now
 * (a claim for all it owes) and closes the channel cooperatively through the admin API, and:
 * - A's and B's books agree to the unit: value sent, value settled, nothing owed, no hold;
 * - the chain, read with viem, moved exactly what the books say was settled: B's tokens grew and
 *   A's shrank by B's settled credit, the channel is gone;
 * - every packet the payee fulfilled (booked) is paid on chain; S's and the BLS's counts bound it;
 * - the run made claims, redemptions and top-ups across the kills, and reconciliation booked
 *   packets that only it could (the summary is printed as a diagnostic).
 * S, A and B also agree right after reconciliation, before the close. On a failure the warnings
 * and reconciliation lines of every process (and of S) are printed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { pino } from 'pino';
import { type Address, createPublicClient, type Hex, http } from 'viem';
import { type ChannelMetadata, ConnectorNode } from '../../src/index.js';
import { type TokenNetworkClient, testTokenAbi } from '../../src/settlement/index.js';
import { adminBalance, adminJson, connectedPeers, until } from '../helpers/admin-http.js';
import { CliNode, cliNodeYaml, type LogLine } from '../helpers/cli-node.js';
import { killUnderLoad } from '../helpers/kill-load.js';
import { baseConfig } from '../helpers/nodes.js';
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
  tokenNetworkAs,
} from '../settlement/chain-fixture.js';

const KILLS = 24;
const CONCURRENCY = 16;
const SEED = 0x5e7_2ec0;
/** Short expiries, so reconciliation (which waits for a packet's expiry) is quick. */
const EXPIRY_MS = 3000;
const SETTLE_TIMEOUT_MS = 60_000;
const REJECT_PAUSE_MS = 20;
/** A claims once it owes this many ILP units (and on every poll). */
const THRESHOLD = 20_000n;
/** The channel's first deposit (token base units): the load needs top-ups beyond it. */
const INITIAL_DEPOSIT = 500_000n * FACTOR;
/** B redeems on chain once this much (token base units) is unredeemed: several times a run. */
const REDEEM_MINIMUM = 200_000n * FACTOR;
const KEY_A = ANVIL_KEYS[1];
const KEY_B = ANVIL_KEYS[2];
const REFUSED = [
  'settlement: refused a claim from a peer',
  'settlement: the peer refused our claim',
  'reconciliation: refused fulfillments that do not match',
  'reconciliation: the ledger refused a fulfilled packet',
];

const dir = mkdtempSync(join(tmpdir(), 'settle-reconcile-crash-'));
const random = mulberry32(SEED);
const bls = new TestBls();
let chain: TestChain;
let reader: TokenNetworkClient;
let viem: ReturnType<typeof createPublicClient>;
let s: ConnectorNode;
let a: CliNode | undefined;
let b: CliNode | undefined;
let aConfig: string;
let bConfig: string;
/** Every process started: their logs are read at the end. */
const processes: CliNode[] = [];
const sLines: LogLine[] = [];

function nodeYaml(id: 'a' | 'b', port: number, parts: Record<string, unknown>): string {
  return cliNodeYaml({
    id,
    btpPort: port,
    ledgerSnapshotPath: join(dir, id, 'ledger.json'),
    reconcileInFlight: true,
    ...parts,
    btp: { requestTimeoutMs: 3000 },
    settlement: {
      statePath: join(dir, id, 'settlement.json'),
      threshold: String(THRESHOLD),
      pollingIntervalMs: 500,
    },
    settlementInfra: {
      challengePeriodSeconds: 60,
      minChallengePeriodSeconds: 60,
      chainPollingIntervalMs: 20,
      watchIntervalMs: 1000,
      initialDeposit: String(INITIAL_DEPOSIT),
      redeemMinimum: String(REDEEM_MINIMUM),
    },
    blockchain: blockchainOf(chain),
  });
}

/** Starts A or B as an operator would, and waits until its chain is connected. */
async function startNode(config: string, key: string): Promise<CliNode> {
  const node = new CliNode(config, { EVM_PRIVATE_KEY: key });
  processes.push(node);
  await node.started();
  await node.waitForLog((l) => l.msg === 'settlement: chain connected');
  return node;
}

const tokens = (owner: Address) =>
  viem.readContract({ address: chain.token, abi: testTokenAbi, functionName: 'balanceOf', args: [owner] });

before(async () => {
  chain = await startTestChain(8453);
  reader = await tokenNetworkAs(chain, ANVIL_KEYS[0]);
  viem = createPublicClient({ transport: http(chain.anvil.rpcUrl) });
  const aPort = await freePort();
  const bPort = await freePort();
  const blsUrl = await bls.listen();
  bConfig = CliNode.write(
    dir,
    'b',
    nodeYaml('b', bPort, {
      peers: [{ id: 'a', authToken: '', evmAddress: addressOf(KEY_A) }],
      routes: [],
      localDelivery: { enabled: true, handlerUrl: blsUrl, timeout: 2000 },
    }),
  );
  aConfig = CliNode.write(
    dir,
    'a',
    nodeYaml('a', aPort, {
      peers: [
        { id: 's', authToken: '' },
        { id: 'b', url: `ws://127.0.0.1:${bPort}`, authToken: '', evmAddress: addressOf(KEY_B) },
      ],
      routes: [{ prefix: 'g.b', nextHop: 'b' }],
    }),
  );
  // S's reconciliation and warnings, for the report of a failure.
  const sLog = pino(
    { level: 'info' },
    { write: (line: string) => keepLine(sLines, JSON.parse(line) as LogLine) },
  );
  s = new ConnectorNode(
    baseConfig('s', {
      peers: [{ id: 'a', url: `ws://127.0.0.1:${aPort}`, authToken: '' }],
      routes: [{ prefix: 'g', nextHop: 'a' }],
      btp: { reconnectMinMs: 20, reconnectMaxMs: 200 },
      settlement: {
        ledgerDurability: 'snapshot',
        ledgerSnapshotPath: join(dir, 's', 'ledger.json'),
        reconcileInFlight: true,
      },
    }),
    sLog,
  );
  await s.start();
});

after(async () => {
  for (const p of processes) p.kill();
  await Promise.all(processes.map((p) => p.exited()));
  await s?.stop();
  await bls.close();
  await chain?.stop();
  rmSync(dir, { recursive: true, force: true });
});

it(`A and B killed with SIGKILL ${KILLS} times under load while settling on anvil: books and chain agree to the unit`, async (t) => {
  const aTokensAtStart = await tokens(addressOf(KEY_A));
  const bTokensAtStart = await tokens(addressOf(KEY_B));
  a = await startNode(aConfig, KEY_A);
  b = await startNode(bConfig, KEY_B);
  const load = await killUnderLoad({
    s,
    peer: 'a',
    destination: 'g.b.shop',
    concurrency: CONCURRENCY,
    expiryMs: EXPIRY_MS,
    kills: KILLS,
    random,
    rejectPauseMs: REJECT_PAUSE_MS,
    ready: () =>
      until(
        'A linked to S and B',
        async () => ((await connectedPeers(a!.adminPort))?.length === 2 ? true : undefined),
        SETTLE_TIMEOUT_MS,
      ),
    kill: async (round) => {
      const victim: CliNode = round % 2 === 0 ? a! : b!;
      victim.kill();
      await victim.exited();
      if (victim === a) a = await startNode(aConfig, KEY_A);
      else b = await startNode(bConfig, KEY_B);
    },
  });
  const { fulfilledAmount } = load;
  assert.ok(load.sent > KILLS * 10, 'load ran');

  // Reconciliation waits for each packet's expiry, then asks the peer: poll until the books agree.
  let books = await readBooks();
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  while (!agree(books) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    books = await readBooks();
  }
  if (!agree(books)) dumpLogs();
  const atReconciliation = show(books);
  assert.equal(books.aOwesB, books.bIsOwedByA, `A and B agree on what A sent B: ${atReconciliation}`);
  assert.equal(books.sPaidA, books.aWasPaidByS, `S and A agree on what S paid A: ${atReconciliation}`);
  assert.equal(books.pending, 0n, `no hold is left: ${atReconciliation}`);
  // A late fulfillment of a packet A already rejected upstream (B died while it waited) is A's
  // own loss: booked from A's own account, so A may owe B more than S paid it, never less.
  assert.ok(books.aOwesB >= books.aWasPaidByS, 'A passed on at least what it was paid');
  assert.ok(books.sPaidA >= fulfilledAmount, 'every packet S saw fulfilled is paid to A');

  // Settle now: a claim for all A owes, taken by B; then a cooperative close pays it out.
  const channel = await outgoingChannel();
  const settleNow = (await adminJson(
    a!.adminPort,
    'POST',
    `/admin/channels/${channel.channelId}/settle`,
  )) as {
    claimSent: boolean;
  };
  assert.equal(typeof settleNow.claimSent, 'boolean');
  const claimed = await until(
    'B to hold and A to see acknowledged a claim for all A owes',
    async () => {
      const [out, inc, aB] = await Promise.all([
        outgoingChannel(),
        incomingChannel(channel.channelId),
        adminBalance(a!.adminPort, 'b'),
      ]);
      const all =
        aB.creditBalance === aB.debitBalance && BigInt(out.transferred) === aB.debitBalance * FACTOR;
      return all && out.acknowledgedNonce === out.nonce && inc?.nonce === out.nonce ? out : undefined;
    },
    SETTLE_TIMEOUT_MS,
  );
  const redeemedBeforeClose = BigInt((await incomingChannel(channel.channelId))?.redeemed ?? '0');
  const closed = (await adminJson(a!.adminPort, 'POST', `/admin/channels/${channel.channelId}/close`, {
    cooperative: true,
  })) as ChannelMetadata;
  assert.equal(closed.status, 'settled', `a cooperative close settles at once: ${JSON.stringify(closed)}`);
  // B learns the settle from the chain on its next watch.
  const bView = await until(
    "B's watcher to see the channel settled",
    async () => {
      const inc = await incomingChannel(channel.channelId);
      return inc?.status === 'settled' ? inc : undefined;
    },
    SETTLE_TIMEOUT_MS,
  );

  const final = await readBooks();
  const [aB, bA] = [final.aB, final.bA];
  const report = show(final);
  // The two nodes' books agree to the unit.
  assert.equal(final.pending, 0n, `no hold is left: ${report}`);
  assert.equal(aB.creditBalance, bA.debitBalance, `A and B agree on the value A sent B: ${report}`);
  assert.equal(aB.debitBalance, bA.creditBalance, `A and B agree on what A settled: ${report}`);
  assert.equal(aB.creditBalance, aB.debitBalance, `A owes B nothing after the close: ${report}`);
  assert.equal(final.sPaidA, final.aWasPaidByS, `S and A agree on what S paid A: ${report}`);

  // ...and with the chain, read independently.
  const bReceived = (await tokens(addressOf(KEY_B))) - bTokensAtStart;
  const aPaid = aTokensAtStart - (await tokens(addressOf(KEY_A)));
  assert.equal(
    bReceived,
    bA.creditBalance * FACTOR,
    "B's tokens grew by exactly what its books say it was settled",
  );
  assert.equal(aPaid, aB.debitBalance * FACTOR, "A's tokens shrank by exactly what its books say it settled");
  assert.equal(BigInt(claimed.transferred), bReceived, 'the latest claim is what the chain paid');
  assert.equal(
    await reader.getChannel(channel.channelId as Hex),
    undefined,
    'the channel is settled on chain',
  );
  assert.equal(await reader.channelIdOf(addressOf(KEY_A), addressOf(KEY_B)), undefined);
  assert.equal(BigInt(bView.transferred), bReceived, "B's channel view: the claim it holds");
  assert.equal(BigInt(bView.redeemed ?? '0'), bReceived, "B's channel view: all of it paid out");

  // Every packet the payee fulfilled is paid: what B booked as fulfilled = paid on chain + still owed (0).
  const payeeFulfilled = bA.debitBalance;
  const stillOwed = bA.debitBalance - bA.creditBalance;
  assert.equal(stillOwed, 0n, 'nothing is owed to B after the close');
  assert.equal(
    payeeFulfilled * FACTOR,
    bReceived + stillOwed * FACTOR,
    'every packet B fulfilled is paid on chain',
  );
  // Independent bounds on B's count: at least what S saw fulfilled, at most what the BLS accepted.
  const blsAccepted = bls.requests
    .filter((r) => r.body.isTransit !== true)
    .reduce((n, r) => n + BigInt(String(r.body.amount)), 0n);
  assert.ok(payeeFulfilled >= fulfilledAmount, 'B fulfilled at least what S saw fulfilled');
  assert.ok(payeeFulfilled <= blsAccepted, 'B fulfilled no more than its BLS accepted');

  // The run exercised what it claims to: claims, redemptions and reconciliation across kills.
  const lines = processes.flatMap((p) => p.lines);
  const count = (msg: string) => lines.filter((l) => l.msg === msg).length;
  const resolved = lines.filter((l) => l.msg === 'reconciliation: in-flight packets resolved with the peer');
  const fulfilledByReconciliation = resolved.reduce((n, l) => n + Number(l.fulfilled ?? 0), 0);
  const summary = {
    packets: load.sent,
    rejected: load.rejected,
    fulfilled: bA.debitBalance.toString(),
    claims: claimed.nonce,
    redeemedBeforeClose: redeemedBeforeClose.toString(),
    topUps: count('settlement: channel topped up'),
    redemptions: count('settlement: claim redeemed'),
    fulfilledByReconciliation,
  };
  t.diagnostic(JSON.stringify(summary));
  assert.ok(BigInt(claimed.nonce) > BigInt(KILLS), `claims were made throughout: ${JSON.stringify(summary)}`);
  assert.ok(redeemedBeforeClose > 0n, 'B redeemed on chain during the run');
  assert.ok(summary.topUps > 0, 'A topped the channel up during the run');
  assert.ok(fulfilledByReconciliation > 0, 'some fulfilled packets were only booked by reconciliation');
  assert.deepEqual(
    lines.filter((l) => REFUSED.includes(String(l.msg))),
    [],
    'no claim and no fulfillment was refused',
  );
  assert.equal(await a!.stop(), 0);
  assert.equal(await b!.stop(), 0);
});

async function outgoingChannel(): Promise<ChannelMetadata> {
  const { channels } = (await adminJson(a!.adminPort, 'GET', '/admin/channels')) as {
    channels: ChannelMetadata[];
  };
  const open = channels.filter((c) => c.direction === 'outgoing' && c.status === 'open');
  assert.equal(open.length, 1, `A has one open channel to B: ${JSON.stringify(channels)}`);
  return open[0]!;
}

async function incomingChannel(channelId: string): Promise<ChannelMetadata | undefined> {
  const { channels } = (await adminJson(b!.adminPort, 'GET', '/admin/channels')) as {
    channels: ChannelMetadata[];
  };
  return channels.find((c) => c.direction === 'incoming' && c.channelId === channelId);
}

function keepLine(into: LogLine[], l: LogLine): void {
  if (Number(l.level) >= 40 || String(l.msg).startsWith('reconciliation')) into.push(l);
}

function dumpLogs(): void {
  for (const p of processes) {
    for (const l of p.lines as LogLine[]) {
      const msg = String(l.msg);
      if (Number(l.level) >= 40 || msg.startsWith('reconciliation')) console.error(JSON.stringify(l));
    }
  }
  for (const l of sLines) console.error(`S ${JSON.stringify(l)}`);
}

interface Books {
  aB: Awaited<ReturnType<typeof adminBalance>>;
  bA: Awaited<ReturnType<typeof adminBalance>>;
  aOwesB: bigint;
  bIsOwedByA: bigint;
  sPaidA: bigint;
  aWasPaidByS: bigint;
  pending: bigint;
}

function agree(books: Books): boolean {
  return books.aOwesB === books.bIsOwedByA && books.sPaidA === books.aWasPaidByS && books.pending === 0n;
}

function show(books: Books): string {
  return JSON.stringify(books, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
}

async function readBooks(): Promise<Books> {
  const [aS, aB, bA] = await Promise.all([
    adminBalance(a!.adminPort, 's'),
    adminBalance(a!.adminPort, 'b'),
    adminBalance(b!.adminPort, 'a'),
  ]);
  const sA = await s.getBalance('a');
  return {
    aB,
    bA,
    aOwesB: aB.creditBalance,
    bIsOwedByA: bA.debitBalance,
    sPaidA: sA.creditBalance,
    aWasPaidByS: aS.debitBalance,
    pending: [aS, aB, bA, sA].reduce((n, x) => n + x.pendingDebit + x.pendingCredit, 0n),
  };
}
