/**
 * Open admission's money-safe rule (docs/routing.md, "Open admission"), over real sockets: the
 * name of an agent gone whose account holds money is never forgotten, not beyond
 * maxRememberedAgents nor across a restart; when such names fill maxAgents +
 * maxRememberedAgents, new names are refused (T00) instead; a name whose account is empty is
 * forgotten oldest first beyond the cap.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CLOSE_CODE } from '../../src/btp/types.js';
import { BINDINGS_FILE } from '../../src/core/admission.js';
import type { ConnectorNode } from '../../src/index.js';
import { RawClient } from '../btp/helpers.js';
import { fulfillNext, rawPay, refused } from '../helpers/agents.js';
import { baseConfig, makeNode, sendData } from '../helpers/nodes.js';

/** Logs `name` in and pays it `amount` from the node; the agent's client. */
async function paidAgent(hub: ConnectorNode, name: string, amount: bigint): Promise<RawClient> {
  const agent = await RawClient.authed(hub.btpPort, name, `t-${name}`);
  const fulfilled = fulfillNext(agent);
  const reply = await sendData(hub, `${hub.getIlpAddress()}.${name}`, amount, `payout ${name}`);
  await fulfilled;
  assert.equal(reply.type, 13, `${name} paid`);
  return agent;
}

describe('open admission: names holding money are never forgotten', { timeout: 30_000 }, () => {
  it('the cap forgets only empty names and refuses new ones when names with money fill it', async () => {
    const hub = makeNode(
      baseConfig('hubw', {
        ilpAddress: 'g.hubw',
        btp: {
          authAttemptsPerAddress: 100_000,
          admission: { mode: 'open', maxAgents: 1, maxRememberedAgents: 1, idleEvictMs: 600 },
        },
      }),
    );
    await hub.start();
    hub.setPacketHandler(() => ({ accept: true }));
    const open: RawClient[] = [];
    try {
      const rich = await paidAgent(hub, 'rich', 10n);
      assert.equal(await rich.closed, CLOSE_CODE.goingAway); // idle: evicted, 10 on its account
      const rich2 = await paidAgent(hub, 'rich2', 10n);
      assert.equal(await rich2.closed, CLOSE_CODE.goingAway);
      // Two names with money, beyond maxRememberedAgents 1: both still bound.
      await refused(hub.btpPort, 'rich', 'thief', 'F00');
      await refused(hub.btpPort, 'rich2', 'thief', 'F00');
      // They fill maxAgents + maxRememberedAgents: a new name is refused, a returning one is not.
      assert.match(await refused(hub.btpPort, 'newbie', 'tn', 'T00'), /new agents/);
      const back = await RawClient.authed(hub.btpPort, 'rich', 't-rich');
      assert.equal(await rawPay(back, 'g.hubw', 10n, 'spend it all'), 'fulfill');
      assert.equal(await back.closed, CLOSE_CODE.goingAway);
      // rich's account is empty now: beyond the cap its name is forgotten; rich2's is not.
      await refused(hub.btpPort, 'rich2', 'thief', 'F00');
      const taken = await RawClient.authed(hub.btpPort, 'rich', 'someone-else');
      open.push(taken);
      const text = await (await fetch(`http://127.0.0.1:${hub.healthPort}/metrics`)).text();
      assert.match(text, /^connector_admission_remembered_with_money 1$/m);
      assert.match(text, /^connector_admission_refused_total\{reason="remembered-full"\} 1$/m);
    } finally {
      await Promise.all(open.map((c) => c.close()));
      await hub.stop();
    }
  });

  it('a restart keeps every name with money, beyond the cap, and forgets empty ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'admission-money-'));
    const config = baseConfig('hubr', {
      ilpAddress: 'g.hubr',
      btp: { admission: { mode: 'open', maxAgents: 3, maxRememberedAgents: 1 } },
      settlement: { ledgerDurability: 'fsync', ledgerSnapshotPath: join(dir, 'ledger.json') },
    });
    const open: RawClient[] = [];
    try {
      let hub = makeNode(config);
      await hub.start();
      hub.setPacketHandler(() => ({ accept: true }));
      open.push(await paidAgent(hub, 'm1', 10n), await paidAgent(hub, 'm2', 5n));
      open.push(await RawClient.authed(hub.btpPort, 'z', 't-z'));
      await Promise.all(open.splice(0).map((c) => c.close()));
      await hub.stop();
      hub = makeNode(config);
      await hub.start();
      try {
        const names = readFileSync(join(dir, BINDINGS_FILE), 'utf8')
          .trim()
          .split('\n')
          .map((l) => (JSON.parse(l) as { u: string }).u);
        assert.deepEqual(names, ['m1', 'm2']);
        await refused(hub.btpPort, 'm1', 'thief', 'F00');
        await refused(hub.btpPort, 'm2', 'thief', 'F00');
        open.push(await RawClient.authed(hub.btpPort, 'z', 'someone-else'));
        assert.equal((await hub.getBalance('m1')).creditBalance, 10n);
      } finally {
        await Promise.all(open.splice(0).map((c) => c.close()));
        await hub.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
