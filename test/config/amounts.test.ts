import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ConfigLoader, MAX_U64, toUnsigned } from '../../src/config/index.js';

const NO_ENV = { env: {} };

function withPeer(peer: Record<string, unknown>): Record<string, unknown> {
  return {
    nodeId: 'n',
    btpServerPort: 0,
    peers: [{ id: 'p', ...peer }],
    routes: [],
    environment: 'development',
  };
}

describe('u64 amounts', () => {
  it('accepts bigint, safe integer number and decimal string, and yields bigint', () => {
    const c = ConfigLoader.parseConfigObject(
      withPeer({ maxPacketAmount: 1000, balance: { maximum: '18446744073709551615', settleThreshold: 5n } }),
      NO_ENV,
    );
    const peer = c.peers[0];
    assert.equal(peer?.maxPacketAmount, 1000n);
    assert.equal(peer?.balance?.maximum, MAX_U64);
    assert.equal(peer?.balance?.settleThreshold, 5n);
    assert.equal(peer?.balance?.settleTo, 0n);
  });

  it('rejects floats, negatives, overflow, unsafe numbers and non-digit strings with clear messages', () => {
    const cases: [unknown, RegExp][] = [
      [1.5, /must be an integer amount, got 1.5/],
      [-1, /must not be negative/],
      [-1n, /must not be negative/],
      ['-3', /must not be negative/],
      [2 ** 53, /above 2\^53-1 .* write it as a string or bigint/],
      ['18446744073709551616', /exceeds the maximum of a u64/],
      [2n ** 64n, /exceeds the maximum of a u64/],
      [`1${'0'.repeat(100)}`, /exceeds the maximum of a u64/],
      ['1e3', /decimal integer string/],
      [' 1', /decimal integer string/],
      ['', /decimal integer string/],
      [true, /expected an amount/],
    ];
    for (const [value, pattern] of cases) {
      const result = ConfigLoader.validate(withPeer({ maxPacketAmount: value }) as never, NO_ENV);
      assert.equal(result.ok, false, String(value));
      if (result.ok) continue;
      assert.equal(result.issues.length, 1, String(value));
      assert.equal(result.issues[0]?.path, 'peers.0.maxPacketAmount');
      assert.match(result.issues[0]?.message ?? '', pattern, String(value));
    }
  });

  it('round-trips any u64 through each accepted representation (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: MAX_U64 }), (n) => {
        assert.equal(toUnsigned(n, 64), n);
        assert.equal(toUnsigned(n.toString(), 64), n);
        if (n <= BigInt(Number.MAX_SAFE_INTEGER)) assert.equal(toUnsigned(Number(n), 64), n);
      }),
      { seed: 0x5eed, numRuns: 300 },
    );
  });

  it('reads a u128 TigerBeetle cluster id', () => {
    const max = (2n ** 128n - 1n).toString();
    const c = ConfigLoader.parseConfigObject(
      { ...withPeer({}), settlement: { tigerBeetleClusterId: max, threshold: 10 } },
      NO_ENV,
    );
    assert.equal(c.settlement?.tigerBeetleClusterId, 2n ** 128n - 1n);
    assert.equal(c.settlement?.threshold, 10n);
  });
});
