/**
 * Open admission's edges (docs/routing.md, "Open admission"), over real sockets: a login whose
 * admission hangs (a binding append, a ledger account; made to hang through the node's seams,
 * not by sleeping) is refused with T00 after btp.admission.timeoutMs and leaves no half agent;
 * /metrics counts agents, admissions, refusals and evictions.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLOSE_CODE } from '../../src/btp/types.js';
import { BTP_TYPE } from '../../src/codec/btp.js';
import { BINDINGS_FILE, type BindingLog, type BindingRecord } from '../../src/core/admission.js';
import { ConnectorNode, MemoryLedger } from '../../src/index.js';
import type { AccountOptions } from '../../src/ledger/index.js';
import { silentLogger } from '../../src/utils/logger.js';
import { RawClient } from '../btp/helpers.js';
import { login, refused } from '../helpers/agents.js';
import { baseConfig, makeNode } from '../helpers/nodes.js';

/** A promise the test resolves. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

/** Logs in until the answer is not "admission in progress" (the given-up step still runs). */
async function loginOnceSettled(port: number, username: string, token: string) {
  for (let i = 0; i < 200; i++) {
    const attempt = await login(port, username, token);
    const { answer } = attempt;
    if (answer.type !== BTP_TYPE.error || !/in progress/.test(answer.data)) return attempt;
    await attempt.client.closed;
  }
  throw new Error(`${username}: admission still in progress`);
}

/** A memory ledger whose createAccount for one account waits for the test. */
class SlowLedger extends MemoryLedger {
  readonly held = gate();
  constructor(private readonly slowAccount: string) {
    super();
  }
  override async createAccount(id: string, options?: AccountOptions): Promise<void> {
    if (id === this.slowAccount) await this.held.opened;
    return super.createAccount(id, options);
  }
}

describe('open admission: a hanging admission is given up after timeoutMs', { timeout: 30_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'admission-timeout-'));
  const ledger = new SlowLedger('peer:slow');
  /** The append of `stuck`'s binding waits for this gate (then goes to the real file). */
  const disk = gate();
  const appended: BindingRecord[] = [];
  let withdrawn: Promise<void> | undefined;
  let hub: ConnectorNode;
  const open: RawClient[] = [];

  const wrap = (log: BindingLog): BindingLog => ({
    append: (record) => {
      const written = (record.u === 'stuck' && record.h !== null ? disk.opened : Promise.resolve()).then(() =>
        log.append(record),
      );
      const done = written.then(() => {
        appended.push(record);
      });
      if (record.h === null) withdrawn = done;
      return done;
    },
    close: () => log.close(),
  });

  before(async () => {
    const config = baseConfig('hubt', {
      ilpAddress: 'g.hubt',
      btp: { authAttemptsPerAddress: 100_000, admission: { mode: 'open', timeoutMs: 300 } },
      settlement: { ledgerDurability: 'fsync', ledgerSnapshotPath: join(dir, 'ledger.json') },
    });
    hub = new ConnectorNode(config, silentLogger(), { env: {}, ledger, wrapAdmissionLog: wrap });
    await hub.start();
  });

  after(async () => {
    disk.open();
    ledger.held.open();
    await Promise.all(open.map((c) => c.close()));
    await hub?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const present = (name: string) => ({
    peer: hub.listPeers().some((p) => p.id === name),
    route: hub.listRoutes().some((r) => r.prefix === `g.hubt.${name}`),
    account: ledger.hasAccount(`peer:${name}`),
  });
  const none = { peer: false, route: false, account: false };

  it('a binding append that hangs: T00 "timed out", nothing created, others still admitted', async () => {
    const told = await refused(hub.btpPort, 'stuck', 'ts', 'T00');
    assert.match(told, /timed out/);
    assert.deepEqual(present('stuck'), none);
    // While the append still hangs the name stays taken by its attempt; other agents get in.
    assert.match(await refused(hub.btpPort, 'stuck', 'ts', 'T00'), /in progress/);
    open.push(await RawClient.authed(hub.btpPort, 'other', 'to'));
    assert.deepEqual(present('other'), { peer: true, route: true, account: true });
  });

  it('when the append completes late, the binding is withdrawn and the name is free', async () => {
    disk.open();
    await (async () => {
      while (withdrawn === undefined) await new Promise((r) => setImmediate(r));
      await withdrawn;
    })();
    assert.deepEqual(present('stuck'), none);
    const lines = readFileSync(join(dir, BINDINGS_FILE), 'utf8').trim().split('\n');
    const stuck = lines.map((l) => JSON.parse(l) as BindingRecord).filter((r) => r.u === 'stuck');
    assert.deepEqual(
      stuck.map((r) => r.h === null),
      [false, true],
    );
    // Not bound: another token takes the free name.
    const { answer, client } = await loginOnceSettled(hub.btpPort, 'stuck', 'another');
    open.push(client);
    assert.equal(answer.type, BTP_TYPE.response);
  });

  it('a ledger account that hangs: T00, and once it is made the agent is an agent gone, bound to its token', async () => {
    assert.match(await refused(hub.btpPort, 'slow', 'tslow', 'T00'), /timed out/);
    assert.deepEqual(present('slow'), none);
    ledger.held.open();
    // The account is made after the answer: no route or link follows; the binding stays with it.
    const { answer, client } = await loginOnceSettled(hub.btpPort, 'slow', 'not-its-token');
    assert.equal(answer.type, BTP_TYPE.error);
    assert.equal(await client.closed, CLOSE_CODE.policy);
    assert.deepEqual(present('slow'), { peer: false, route: false, account: true });
    assert.ok(appended.some((r) => r.u === 'slow' && r.h !== null));
    assert.ok(!appended.some((r) => r.u === 'slow' && r.h === null));
    open.push(await RawClient.authed(hub.btpPort, 'slow', 'tslow'));
    assert.deepEqual(present('slow'), { peer: true, route: true, account: true });
  });
});

describe('open admission: /metrics', { timeout: 30_000 }, () => {
  const scrape = async (hub: ConnectorNode) =>
    (await fetch(`http://127.0.0.1:${hub.healthPort}/metrics`)).text();

  it('counts agents now, admissions, refusals by reason and evictions by cause', async () => {
    const hub = makeNode(
      baseConfig('hubm', {
        ilpAddress: 'g.hubm',
        btp: {
          authAttemptsPerAddress: 100_000,
          admission: { mode: 'open', maxAgents: 2, idleEvictMs: 1500 },
        },
      }),
    );
    await hub.start();
    try {
      const a = await RawClient.authed(hub.btpPort, 'a', 'ta');
      const b = await RawClient.authed(hub.btpPort, 'b', 'tb');
      let text = await scrape(hub);
      assert.match(text, /^connector_admission_agents 2$/m);
      assert.match(text, /^connector_admission_admitted_total 2$/m);
      await refused(hub.btpPort, 'c', 'tc', 'T00'); // full
      await refused(hub.btpPort, 'hubm', 'x', 'F00'); // the node's own id
      assert.equal((await hub.removePeer('a')).removed, true);
      assert.equal(await a.closed, CLOSE_CODE.goingAway);
      assert.equal(await b.closed, CLOSE_CODE.goingAway); // idle
      await refused(hub.btpPort, 'b', 'not-tb', 'F00'); // bound to tb
      text = await scrape(hub);
      assert.match(text, /^connector_admission_agents 0$/m);
      assert.match(text, /^connector_admission_admitted_total 2$/m);
      assert.match(text, /^connector_admission_refused_total\{reason="full"\} 1$/m);
      assert.match(text, /^connector_admission_refused_total\{reason="reserved"\} 1$/m);
      assert.match(text, /^connector_admission_refused_total\{reason="wrong-token"\} 1$/m);
      assert.match(text, /^connector_admission_refused_total\{reason="timeout"\} 0$/m);
      assert.match(text, /^connector_admission_evictions_total\{cause="idle"\} 1$/m);
      assert.match(text, /^connector_admission_evictions_total\{cause="removed"\} 1$/m);
      assert.match(text, /^connector_admission_remembered_with_money 0$/m);
    } finally {
      await hub.stop();
    }
  });

  it('a node with admission closed shows no admission series', async () => {
    const hub = makeNode(baseConfig('hubc'));
    await hub.start();
    try {
      assert.doesNotMatch(await scrape(hub), /connector_admission_/);
    } finally {
      await hub.stop();
    }
  });
});
