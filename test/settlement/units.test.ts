/** Asset scale onto token decimals: exact both ways, remainders stay owed (DESIGN §7, Units). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { AssetUnits } from '../../src/settlement/index.js';

describe('AssetUnits', () => {
  it('multiplies when the token is finer than the asset scale', () => {
    const u = new AssetUnits(9, 18);
    assert.equal(u.toToken(1100n), 1100n * 10n ** 9n);
    assert.equal(u.toIlp(1100n * 10n ** 9n + 999n), 1100n);
  });

  it('rounds down when the token is coarser, so the remainder stays owed', () => {
    const u = new AssetUnits(9, 6);
    assert.equal(u.toToken(1_234_567n), 1234n);
    assert.equal(u.toIlp(1234n), 1_234_000n);
  });

  it('never pays more than owed, and cumulative conversion loses nothing over many claims', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 30 }),
        fc.integer({ min: 0, max: 30 }),
        fc.array(fc.bigInt({ min: 0n, max: 10n ** 20n }), { maxLength: 20 }),
        (scale, decimals, payments) => {
          const u = new AssetUnits(scale, decimals);
          let owed = 0n;
          let tokens = 0n;
          let credited = 0n;
          for (const p of payments) {
            owed += p;
            const pay = u.toToken(owed);
            const booked = u.toIlp(tokens + pay) - u.toIlp(tokens);
            assert.ok(booked <= owed);
            tokens += pay;
            owed -= booked;
            credited += booked;
          }
          // What the receiver credits from the cumulative amount equals what the sender booked.
          assert.equal(u.toIlp(tokens), credited);
        },
      ),
      { seed: 42, numRuns: 300 },
    );
  });

  it('refuses scales outside 0..255', () => {
    assert.throws(() => new AssetUnits(-1, 6), /asset scale/);
    assert.throws(() => new AssetUnits(2, 256), /token decimals/);
  });
});
