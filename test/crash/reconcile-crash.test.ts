/**
 * In-flight packets across a crash (issue 15): a line S - A - B under load, where A (the payer,
 * forwarding S's packets) and B (the payee, delivering to a BLS) are real `connector start`
 * processes with the durable default ledger (journal + fsync, snapshots every 200 ms). At seeded
 * random moments (after a random number of fulfilled packets) A or B, in turn, is killed with
 * SIGKILL and restarted, 24 times. S (embedded) keeps its in-flight records in memory.
 *
 * A Prepare that got no answer because a node died is reconciled afterwards over the
 * `ilp-fulfillment-query` BTP sub-protocol. Once the load stops and reconciliation is done, the
 * books agree to the unit: what A owes B is what B says A owes it, what S paid A is what A says
 * S paid it, no hold is left, and every packet the payee fulfilled is paid.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import type { ConnectorNode } from '../../src/index.js';
import { adminBalance, connectedPeers, until } from '../helpers/admin-http.js';
import { CliNode, cliNodeYaml } from '../helpers/cli-node.js';
import { killUnderLoad } from '../helpers/kill-load.js';
import { baseConfig, makeNode } from '../helpers/nodes.js';
import { freePort } from '../helpers/ports.js';
import { mulberry32 } from '../helpers/prng.js';
import { TestBls } from '../helpers/test-bls.js';

const KILLS = 24;
const CONCURRENCY = 16;
const SEED = 0x2ec0_2026;
/** Short expiries, so reconciliation (which waits for a packet's expiry) is quick. */
const EXPIRY_MS = 3000;
const SETTLE_TIMEOUT_MS = 60_000;

const dir = mkdtempSync(join(tmpdir(), 'reconcile-crash-'));
const random = mulberry32(SEED);
const bls = new TestBls();
let s: ConnectorNode;
let a: CliNode | undefined;
let b: CliNode | undefined;
let aPort: number;
let bPort: number;
let aConfig: string;
let bConfig: string;
/** Every process started: their logs are read at the end. */
const processes: CliNode[] = [];

/** A or B: the journal ledger with in-flight records, in the node's own directory. */
function nodeYaml(id: 'a' | 'b', port: number, parts: Record<string, unknown>): string {
  const ledgerSnapshotPath = join(dir, id, 'ledger.json');
  return cliNodeYaml({ id, btpPort: port, ledgerSnapshotPath, reconcileInFlight: true, ...parts });
}

async function startNode(config: string): Promise<CliNode> {
  const node = new CliNode(config);
  processes.push(node);
  await node.started();
  return node;
}

before(async () => {
  aPort = await freePort();
  bPort = await freePort();
  const blsUrl = await bls.listen();
  bConfig = CliNode.write(
    dir,
    'b',
    nodeYaml('b', bPort, {
      peers: [{ id: 'a', authToken: '' }],
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
        { id: 'b', url: `ws://127.0.0.1:${bPort}`, authToken: '' },
      ],
      routes: [{ prefix: 'g.b', nextHop: 'b' }],
    }),
  );
  s = makeNode(
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
  );
  await s.start();
});

after(async () => {
  a?.kill();
  b?.kill();
  await s?.stop();
  await bls.close();
  rmSync(dir, { recursive: true, force: true });
});

it('A and B killed with SIGKILL 24 times under load: after reconciliation the books agree to the unit', async () => {
  a = await startNode(aConfig);
  b = await startNode(bConfig);
  const { sent, fulfilledAmount } = await killUnderLoad({
    s,
    peer: 'a',
    destination: 'g.b.shop',
    concurrency: CONCURRENCY,
    expiryMs: EXPIRY_MS,
    kills: KILLS,
    random,
    ready: () => waitBothLinked(a!),
    kill: async (round) => {
      const victim: CliNode = round % 2 === 0 ? a! : b!;
      victim.kill();
      await victim.exited();
      if (victim === a) a = await startNode(aConfig);
      else b = await startNode(bConfig);
    },
  });
  assert.ok(sent > KILLS * 10, 'load ran');

  // Reconciliation waits for each packet's expiry, then asks the peer: poll until the books agree.
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  let books = await readBooks();
  while (!agree(books) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    books = await readBooks();
  }
  if (!agree(books)) {
    for (const p of processes) {
      for (const l of p.lines) {
        if (Number(l.level) >= 40 || String(l.msg).startsWith('reconciliation'))
          console.error(JSON.stringify(l));
      }
    }
  }
  assert.equal(books.aOwesB, books.bIsOwedByA, 'A and B agree on what A paid B');
  assert.equal(books.sPaidA, books.aWasPaidByS, 'S and A agree on what S paid A');
  // A late fulfillment of a packet A already rejected upstream (B died while it waited) is A's
  // own loss: booked from A's own account, so A may owe B more than S paid it, never less.
  assert.ok(books.aOwesB >= books.aWasPaidByS, 'A passed on at least what it was paid');
  assert.equal(books.pending, 0n, 'no hold is left');
  assert.ok(books.sPaidA >= fulfilledAmount, 'every packet S saw fulfilled is paid');
  // Every packet the payee's BLS accepted and B booked is paid by A (B books what it fulfilled).
  assert.ok(books.bIsOwedByA > 0n);

  const resolved = processes
    .flatMap((p) => p.lines)
    .filter((l) => l.msg === 'reconciliation: in-flight packets resolved with the peer');
  const fulfilledByReconciliation = resolved.reduce((n, l) => n + Number(l.fulfilled ?? 0), 0);
  assert.ok(resolved.length > 0, 'reconciliation ran');
  // S is embedded (no log lines here): A's own reconciliation with B must have found fulfillments.
  assert.ok(fulfilledByReconciliation > 0, 'some fulfilled packets were only booked by reconciliation');
  for (const p of processes) {
    assert.ok(
      !p.lines.some((l) => String(l.msg).includes('refused fulfillments')),
      'no fulfillment was refused',
    );
  }
  assert.equal(await a.stop(), 0);
  assert.equal(await b.stop(), 0);
});

function waitBothLinked(node: CliNode): Promise<unknown> {
  // A logs nothing per link; its admin API answers once started, and S's link says A is up.
  return until(
    'A linked to S and B',
    async () => ((await connectedPeers(node.adminPort))?.length === 2 ? true : undefined),
    SETTLE_TIMEOUT_MS,
    20,
  );
}

interface Books {
  aOwesB: bigint;
  bIsOwedByA: bigint;
  sPaidA: bigint;
  aWasPaidByS: bigint;
  pending: bigint;
}

function agree(b: Books): boolean {
  return b.aOwesB === b.bIsOwedByA && b.sPaidA === b.aWasPaidByS && b.pending === 0n;
}

async function readBooks(): Promise<Books> {
  const [aS, aB, bA] = await Promise.all([
    adminBalance(a!.adminPort, 's'),
    adminBalance(a!.adminPort, 'b'),
    adminBalance(b!.adminPort, 'a'),
  ]);
  const sA = await s.getBalance('a');
  return {
    aOwesB: aB.creditBalance,
    bIsOwedByA: bA.debitBalance,
    sPaidA: sA.creditBalance,
    aWasPaidByS: aS.debitBalance,
    pending:
      aS.pendingDebit +
      aS.pendingCredit +
      aB.pendingDebit +
      aB.pendingCredit +
      bA.pendingDebit +
      bA.pendingCredit,
  };
}
