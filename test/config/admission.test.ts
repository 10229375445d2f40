/** The `btp.admission` config section (docs/config.md, docs/routing.md "Open admission"). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { base, issuesOf, load } from './helpers.js';

describe('btp.admission config', () => {
  it('is closed by default (all defaults: test/config/schema.test.ts)', () => {
    assert.equal(load(base()).btp.admission.mode, 'closed');
  });

  it('reads YAML-like strings', () => {
    const a = load(
      base({
        btp: {
          admission: {
            mode: 'open',
            maxAgents: '5',
            idleEvictMs: '1000',
            rateLimit: { packetsPerSecond: '2' },
            maximum: '10',
            maxPacketAmount: '3',
          },
        },
      }),
    ).btp.admission;
    assert.equal(a.mode, 'open');
    assert.equal(a.maxAgents, 5);
    assert.deepEqual(a.rateLimit, { packetsPerSecond: 2, burst: 2 });
    assert.equal(a.maximum, 10n);
    assert.equal(a.maxPacketAmount, 3n);
  });

  it('names each bad field with its path', () => {
    const paths = issuesOf(
      base({
        btp: {
          admission: { mode: 'public', maxAgents: 0, idleEvictMs: -1, maximum: -5, timeoutMs: 0, extra: 1 },
        },
      }),
    ).map((i) => i.path);
    for (const path of ['mode', 'maxAgents', 'idleEvictMs', 'maximum', 'timeoutMs', 'extra'])
      assert.ok(paths.includes(`btp.admission.${path}`), `${path} in ${paths.join(', ')}`);
  });
});
