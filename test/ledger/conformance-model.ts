/**
 * Conformance, model-based: random command sequences run against the backend and LedgerModel;
 * after every step the result, every balance, and double entry (sum of debits == sum of credits,
 * pending and posted separately) must hold. Seeded and bounded so a failure replays exactly.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { AccountBalance, Ledger } from '../../src/ledger/index.js';
import { type ConformanceOptions, type Fixture, type LedgerFactory, makeFixture } from './fixture.js';
import { LedgerModel } from './model.js';

const ACCOUNTS = ['peer:a', 'peer:b', 'own:local', 'own:settlement'] as const;
const SEED = 0x1ed6e5;
const LONG_TIMEOUT_MS = 3_600_000;

type Command =
  | { op: 'create'; acct: number; debitLimit?: bigint; creditLimit?: bigint }
  | { op: 'hold'; id: number; dr: number; cr: number; amount: bigint; timeoutMs: number }
  | { op: 'transfer'; id: number; dr: number; cr: number; amount: bigint }
  | { op: 'post' | 'void'; id: number }
  | { op: 'voidExpired' }
  | { op: 'advance'; ms: number }
  /** Re-issues an earlier hold or transfer, counted back from the latest, to reach 'exists'. */
  | { op: 'retry'; back: number };

function createArb(acct: fc.Arbitrary<number>): fc.Arbitrary<Command> {
  const limit = fc.bigInt(0n, 300n);
  const keys = { op: fc.constant('create' as const), acct, debitLimit: limit, creditLimit: limit };
  return fc.record(keys, { requiredKeys: ['op', 'acct'] });
}

/** Debit and credit accounts; mostly distinct, since equal ones only ever answer 'same_account'. */
function accountPairArb(): fc.Arbitrary<{ dr: number; cr: number }> {
  const n = ACCOUNTS.length;
  const offset = fc.oneof({ arbitrary: fc.integer({ min: 1, max: n - 1 }), weight: 6 }, fc.constant(0));
  return fc.tuple(fc.nat(n - 1), offset).map(([dr, off]) => ({ dr, cr: (dr + off) % n }));
}

function commandArb(withClock: boolean): fc.Arbitrary<Command> {
  const id = fc.integer({ min: 1, max: 4 });
  const pair = accountPairArb();
  const amount = fc.oneof({ arbitrary: fc.bigInt(1n, 50n), weight: 8 }, fc.constantFrom(0n, -3n));
  // Round numbers as well as any integer, so holds often expire exactly at a clock step.
  const anyMs = (max: number) => fc.oneof(fc.constantFrom(0, 1, 999, 1000), fc.integer({ min: 0, max }));
  const timeoutMs = withClock ? anyMs(3000).map((ms) => ms || 1) : fc.constant(LONG_TIMEOUT_MS);
  const hold = fc
    .tuple(id, pair, amount, timeoutMs)
    .map(([id, p, amount, timeoutMs]): Command => ({ op: 'hold', id, ...p, amount, timeoutMs }));
  const transfer = fc
    .tuple(id, pair, amount)
    .map(([id, p, amount]): Command => ({ op: 'transfer', id, ...p, amount }));
  const arbs: fc.WeightedArbitrary<Command>[] = [
    { arbitrary: createArb(fc.nat(ACCOUNTS.length - 1)), weight: 1 },
    { arbitrary: hold, weight: 4 },
    { arbitrary: transfer, weight: 2 },
    { arbitrary: fc.record({ op: fc.constantFrom('post' as const, 'void' as const), id }), weight: 4 },
    { arbitrary: fc.constant({ op: 'voidExpired' as const }), weight: 1 },
    { arbitrary: fc.record({ op: fc.constant('retry' as const), back: fc.nat(3) }), weight: 2 },
  ];
  if (withClock) {
    const advance = fc.record({ op: fc.constant('advance' as const), ms: anyMs(2000) });
    arbs.push({ arbitrary: advance, weight: 2 });
  }
  return fc.oneof(...arbs);
}

/** Three of the four accounts exist from the start; the last appears only if a command creates it. */
function sequenceArb(withClock: boolean): fc.Arbitrary<Command[]> {
  const setup = fc.tuple(createArb(fc.constant(0)), createArb(fc.constant(1)), createArb(fc.constant(2)));
  const rest = fc.array(commandArb(withClock), { minLength: 1, maxLength: 60, size: 'max' });
  return fc.tuple(setup, rest).map(([first, then]) => [...first, ...then]);
}

/** Applies one command to both sides; returns [backend's answer, model's answer]. */
type Action = Exclude<Command, { op: 'retry' }>;

async function step(f: Fixture, model: LedgerModel, c: Action): Promise<[unknown, unknown]> {
  const name = (i: number) => f.acct(ACCOUNTS[i]!);
  switch (c.op) {
    case 'create': {
      const limits = {
        ...(c.debitLimit === undefined ? {} : { debitLimit: c.debitLimit }),
        ...(c.creditLimit === undefined ? {} : { creditLimit: c.creditLimit }),
      };
      model.createAccount(name(c.acct), limits);
      return [await f.ledger.createAccount(name(c.acct), limits), undefined];
    }
    case 'hold': {
      const t = { id: f.tid(c.id), debitAccount: name(c.dr), creditAccount: name(c.cr), amount: c.amount };
      const expected = model.hold(t.id, t.debitAccount, t.creditAccount, c.amount, c.timeoutMs);
      return [await f.ledger.hold({ ...t, timeoutMs: c.timeoutMs }), expected];
    }
    case 'transfer': {
      const t = { id: f.tid(c.id), debitAccount: name(c.dr), creditAccount: name(c.cr), amount: c.amount };
      return [await f.ledger.transfer(t), model.transfer(t.id, t.debitAccount, t.creditAccount, c.amount)];
    }
    case 'post':
      return [await f.ledger.post(f.tid(c.id)), model.post(f.tid(c.id))];
    case 'void':
      return [await f.ledger.void(f.tid(c.id)), model.void(f.tid(c.id))];
    case 'voidExpired':
      return [await f.ledger.voidExpired(), model.voidExpired(f.clock?.now() ?? 0)];
    case 'advance':
      f.clock!.advance(c.ms);
      return [undefined, undefined];
  }
}

async function checkBalances(f: Fixture, model: LedgerModel, where: string): Promise<void> {
  const sum: AccountBalance = { debitsPending: 0n, debitsPosted: 0n, creditsPending: 0n, creditsPosted: 0n };
  for (const short of ACCOUNTS) {
    const actual = await f.ledger.getBalance(f.acct(short));
    assert.deepEqual(actual, model.balance(f.acct(short)), `${where}: balance of ${short}`);
    if (actual === undefined) continue;
    sum.debitsPending += actual.debitsPending;
    sum.debitsPosted += actual.debitsPosted;
    sum.creditsPending += actual.creditsPending;
    sum.creditsPosted += actual.creditsPosted;
  }
  assert.equal(sum.debitsPending, sum.creditsPending, `${where}: pending debits == pending credits`);
  assert.equal(sum.debitsPosted, sum.creditsPosted, `${where}: posted debits == posted credits`);
}

async function runSequence(ledger: Ledger, opts: ConformanceOptions, commands: Command[]): Promise<void> {
  const f = makeFixture(ledger, opts.clock);
  const model = new LedgerModel(() => opts.clock?.now() ?? 0);
  const issued: Action[] = [];
  for (const [i, command] of commands.entries()) {
    const c = command.op === 'retry' ? issued.at(-1 - command.back) : command;
    if (c === undefined) continue;
    if (c.op === 'hold' || c.op === 'transfer') issued.push(c);
    const where = `step ${i} ${fc.stringify(command)}`;
    const [actual, expected] = await step(f, model, c);
    assert.equal(actual, expected, `${where}: result`);
    await checkBalances(f, model, where);
  }
}

export function registerModelTests(make: LedgerFactory, opts: ConformanceOptions): void {
  describe('model-based', () => {
    it('random command sequences match the reference model and keep double entry', async () => {
      const property = fc.asyncProperty(sequenceArb(opts.clock !== undefined), async (commands) => {
        const ledger = await make();
        await ledger.open();
        try {
          await runSequence(ledger, opts, commands);
        } finally {
          await ledger.close();
        }
      });
      await fc.assert(property, { seed: SEED, numRuns: opts.modelRuns ?? 200 });
    });
  });
}
