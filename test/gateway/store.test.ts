/** The authorization store on a real file system: durability, replays, recovery, damage. */
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Address, Hex } from 'viem';
import {
  AuthorizationStore,
  authorizationId,
  SpendLog,
  type StoredAuthorization,
} from '../../src/gateway/index.js';
import { ConnectorError } from '../../src/utils/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'gateway-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const PAYER = '0x90F79bf6EB2c4f870365E785982E1f101E93b906' as Address;

function entry(n: number, value = 100n): StoredAuthorization {
  const nonce = `0x${n.toString(16).padStart(64, '0')}` as Hex;
  return {
    id: authorizationId(PAYER, nonce),
    network: 'base-sepolia',
    asset: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
    signature: `0x${'11'.repeat(65)}`,
    authorization: {
      from: PAYER,
      to: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
      value,
      validAfter: 1n,
      validBefore: 2_000_000_000n,
      nonce,
    },
    destination: 'g.agent',
    amount: 7n,
    heldAtMs: 1,
  };
}

async function hold(store: AuthorizationStore, e: StoredAuthorization): Promise<void> {
  const held = store.hold(e);
  assert.equal(held.accepted, true);
  if (held.accepted) await held.durable;
}

describe('AuthorizationStore', () => {
  it('refuses a second hold of one authorization and sums what a payer has held', async () => {
    const { store } = await AuthorizationStore.open(join(dir, 'replay.jsonl'));
    await hold(store, entry(1, 100n));
    assert.equal(store.hold(entry(1, 100n)).accepted, false);
    await hold(store, entry(2, 50n));
    assert.equal(store.heldOf(PAYER), 150n);
    await store.settled(entry(1).id, '0xabc');
    await store.voided(entry(2).id, 'ILP F02');
    assert.equal(store.heldOf(PAYER), 0n);
    assert.equal(store.has(entry(1).id), false);
    await store.close();
  });

  it('hands back what was fulfilled and not settled, voids what had no outcome, compacts the rest away', async () => {
    const path = join(dir, 'recover.jsonl');
    const { store } = await AuthorizationStore.open(path);
    for (const n of [1, 2, 3, 4]) await hold(store, entry(n));
    await store.fulfilled(entry(1).id);
    await store.fulfilled(entry(2).id);
    await store.settled(entry(2).id, '0xdef');
    await store.voided(entry(3).id, 'ILP F99');
    // entry 4: held, no outcome (a kill while its packet was out).
    await store.close();
    const reopened = await AuthorizationStore.open(path);
    assert.deepEqual(
      reopened.recovered.map((r) => r.id),
      [entry(1).id],
    );
    assert.deepEqual(reopened.recovered[0], entry(1));
    assert.deepEqual(
      reopened.voided.map((r) => r.id),
      [entry(4).id],
    );
    assert.equal(reopened.store.has(entry(1).id), true);
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    assert.deepEqual(
      lines.map((l) => (JSON.parse(l) as { op: string }).op),
      ['hold', 'fulfilled'],
    );
    await reopened.store.close();
  });

  it('ignores a torn last line (a write the kill interrupted) and refuses a corrupt one', async () => {
    const path = join(dir, 'torn.jsonl');
    const { store } = await AuthorizationStore.open(path);
    await hold(store, entry(1));
    await store.fulfilled(entry(1).id);
    await store.close();
    appendFileSync(path, '{"op":"settled","id":"0x');
    const reopened = await AuthorizationStore.open(path);
    assert.equal(reopened.recovered.length, 1);
    await reopened.store.close();

    writeFileSync(path, 'not json\n');
    await assert.rejects(
      AuthorizationStore.open(path),
      (err) =>
        err instanceof ConnectorError && err.code === 'ERR_GATEWAY_STORE' && /line 1/.test(err.message),
    );
    writeFileSync(path, '{"op":"mint"}\n');
    await assert.rejects(
      AuthorizationStore.open(path),
      (err) => err instanceof ConnectorError && err.code === 'ERR_GATEWAY_STORE',
    );
  });

  it('groups concurrent holds into few writes and resolves each once it is on disk', async () => {
    const path = join(dir, 'group.jsonl');
    const { store } = await AuthorizationStore.open(path);
    const held = Array.from({ length: 200 }, (_, i) => store.hold(entry(1000 + i)));
    await Promise.all(held.map((h) => (h.accepted ? h.durable : Promise.reject(new Error('refused')))));
    assert.equal(readFileSync(path, 'utf8').trim().split('\n').length, 200);
    assert.equal(store.size, 200);
    await store.close();
  });
});

describe('gateway spend log (the daily cap, durable)', () => {
  const DAY = 86_400_000;
  const noon = 20_000 * DAY + DAY / 2;

  it("a restart continues the day's count; refunds give back; a new UTC day starts from zero", async () => {
    const path = join(dir, 'spend.jsonl');
    const first = await SpendLog.open(path, noon);
    const a = first.reserve(60n, 100n, noon);
    const b = first.reserve(30n, 100n, noon);
    assert.ok(a.accepted && b.accepted);
    if (!a.accepted || !b.accepted) return;
    await Promise.all([a.durable, b.durable]);
    assert.equal(first.reserve(20n, 100n, noon).accepted, false, 'over the cap');
    await first.refund(b.day, 30n);
    await first.close();

    const second = await SpendLog.open(path, noon + 1000);
    assert.equal(second.spentOn(noon + 1000), 60n);
    assert.equal(readFileSync(path, 'utf8'), `{"op":"spend","day":20000,"amount":"60"}\n`, 'compacted');
    assert.equal(second.reserve(41n, 100n, noon).accepted, false);
    const c = second.reserve(40n, 100n, noon);
    assert.ok(c.accepted);
    if (c.accepted) await c.durable;
    await second.close();
    // A torn last line (a write the kill cut) was never acknowledged: ignored.
    appendFileSync(path, '{"op":"spend","day":20000,"amo');
    const third = await SpendLog.open(path, noon);
    assert.equal(third.spentOn(noon), 100n);
    assert.equal(third.spentOn(noon + DAY), 0n, 'the next UTC day');
    assert.equal(third.spentOn(noon), 0n, 'a clock set back keeps the later day');
    await third.close();

    const nextDay = await SpendLog.open(path, noon + DAY);
    assert.equal(nextDay.spentOn(noon + DAY), 0n);
    assert.equal(readFileSync(path, 'utf8'), '', "yesterday's lines are dropped");
    await nextDay.close();

    writeFileSync(path, '{"op":"spend","day":20000,"amount":"-5"}\n');
    await assert.rejects(
      SpendLog.open(path, noon),
      (err) => err instanceof ConnectorError && err.code === 'ERR_GATEWAY_STORE',
    );
  });
});
