/** retryChain: only transient ChainErrors are retried, with bounded, jittered, abortable waits. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ChainError,
  type ChainErrorKind,
  DEFAULT_CHAIN_RETRY,
  retryChain,
} from '../../src/settlement/index.js';
import { ConnectorError } from '../../src/utils/errors.js';
import { mulberry32 } from '../helpers/prng.js';

/** A call that fails with `errors` in turn, then answers `value`; counts its calls. */
function failing<T>(errors: readonly unknown[], value: T) {
  const state = { calls: 0 };
  const call = async () => {
    const error = errors[state.calls++];
    if (error !== undefined) throw error;
    return value;
  };
  return { state, call };
}

const rpc = (n = 0) => new ChainError('rpc', 'getBlockNumber', `connection refused ${n}`);
const fast = { attempts: 5, minDelayMs: 1, maxDelayMs: 2 };

function activeTimeouts(): number {
  return process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
}

describe('ChainError codes', () => {
  const cases: [ChainErrorKind, string, boolean][] = [
    ['revert', 'ERR_CHAIN_REVERT', false],
    ['rpc', 'ERR_CHAIN_RPC', true],
    ['timeout', 'ERR_CHAIN_TIMEOUT', true],
    ['wrong-chain', 'ERR_CHAIN_WRONG_CHAIN', false],
    ['not-found', 'ERR_CHAIN_NOT_FOUND', false],
  ];
  for (const [kind, code, transient] of cases) {
    it(`${kind} has code ${code} and is ${transient ? '' : 'not '}transient`, () => {
      const error = new ChainError(kind, 'op', 'failed');
      assert.equal(error.code, code);
      assert.equal(error.transient, transient);
    });
  }
});

describe('retryChain', () => {
  it('succeeds after transient failures', async () => {
    const timeout = new ChainError('timeout', 'getBlockNumber', 'took too long');
    const { state, call } = failing([rpc(1), timeout, rpc(2)], 42n);
    const retried: string[] = [];
    const onRetry = (err: ChainError, attempt: number) => retried.push(`${attempt}:${err.kind}`);
    assert.equal(await retryChain('read', call, { ...fast, onRetry }), 42n);
    assert.equal(state.calls, 4);
    assert.deepEqual(retried, ['1:rpc', '2:timeout', '3:rpc']);
  });

  it('does not retry reverts, wrong chains or missing contracts', async () => {
    for (const kind of ['revert', 'wrong-chain', 'not-found'] as const) {
      const refusal = new ChainError(kind, 'openChannel', 'refused');
      const { state, call } = failing([refusal], 'never');
      await assert.rejects(retryChain('write', call, fast), (err) => err === refusal);
      assert.equal(state.calls, 1, kind);
    }
  });

  it('does not retry errors that are not ChainErrors', async () => {
    const errors = [new TypeError('bug'), new ConnectorError('ERR_LEDGER', 'ledger down'), 'a string'];
    for (const error of errors) {
      const { state, call } = failing([error], 'never');
      await assert.rejects(retryChain('read', call, fast), (err) => err === error);
      assert.equal(state.calls, 1);
    }
    let calls = 0;
    const throwsAtOnce = (): Promise<never> => {
      calls++;
      throw new RangeError('thrown before any promise');
    };
    await assert.rejects(retryChain('read', throwsAtOnce, fast), RangeError);
    assert.equal(calls, 1);
  });

  it('makes at most `attempts` tries and rethrows the last error unchanged', async () => {
    const errors = [rpc(1), rpc(2), rpc(3), rpc(4)];
    const { state, call } = failing(errors, 'never');
    await assert.rejects(retryChain('read', call, { ...fast, attempts: 3 }), (err) => err === errors[2]);
    assert.equal(state.calls, 3);

    const once = failing([rpc()], 'never');
    await assert.rejects(retryChain('read', once.call, { ...fast, attempts: 1 }), ChainError);
    assert.equal(once.state.calls, 1);
  });

  it('waits random() * min(maxDelayMs, minDelayMs * 2^(attempt-1)), at least 1 ms', async () => {
    const options = { attempts: 6, minDelayMs: 2, maxDelayMs: 10 };
    const { call } = failing([rpc(1), rpc(2), rpc(3), rpc(4), rpc(5)], 'ok');
    const seen: [number, number][] = [];
    const onRetry = (_err: ChainError, attempt: number, delayMs: number) => seen.push([attempt, delayMs]);
    assert.equal(await retryChain('read', call, { ...options, random: mulberry32(7), onRetry }), 'ok');

    const random = mulberry32(7);
    const caps = [2, 4, 8, 10, 10];
    assert.deepEqual(
      seen,
      caps.map((cap, i) => [i + 1, Math.max(1, random() * cap)]),
    );

    const floor: number[] = [];
    const zero = failing([rpc()], 'ok');
    const onZero = (_err: ChainError, _attempt: number, delayMs: number) => floor.push(delayMs);
    await retryChain('read', zero.call, { ...options, random: () => 0, onRetry: onZero });
    assert.deepEqual(floor, [1]);
  });

  it('an abort during a wait rejects promptly with the reason and leaves no timer', async () => {
    const before = activeTimeouts();
    const controller = new AbortController();
    const reason = new Error('shutting down');
    const { state, call } = failing([rpc(), rpc()], 'never');
    const started = Date.now();
    const retry = retryChain('read', call, {
      attempts: 3,
      minDelayMs: 60_000,
      maxDelayMs: 60_000,
      random: () => 0.5,
      signal: controller.signal,
      onRetry: () => setImmediate(() => controller.abort(reason)),
    });
    await assert.rejects(retry, (err) => err === reason);
    assert.ok(Date.now() - started < 1_000, 'rejected promptly');
    assert.equal(state.calls, 1);
    assert.equal(activeTimeouts(), before, 'the 30 s wait was cleared');
  });

  it('an abort during a call rejects at once; an aborted signal makes no call', async () => {
    const controller = new AbortController();
    const pending = retryChain('read', () => new Promise<never>(() => {}), {
      ...fast,
      signal: controller.signal,
    });
    controller.abort();
    await assert.rejects(pending, { name: 'AbortError' });

    let calls = 0;
    const count = async () => ++calls;
    await assert.rejects(retryChain('read', count, { ...fast, signal: controller.signal }), {
      name: 'AbortError',
    });
    assert.equal(calls, 0);
  });

  it('without a reason, an abort is ERR_SETTLEMENT_UNAVAILABLE "aborted"', async () => {
    const controller = new AbortController();
    controller.abort();
    Object.defineProperty(controller.signal, 'reason', { value: undefined });
    await assert.rejects(
      retryChain('read', async () => 1, { ...fast, signal: controller.signal }),
      {
        code: 'ERR_SETTLEMENT_UNAVAILABLE',
        message: /aborted/,
      },
    );
  });

  it('refuses unbounded or inconsistent options', async () => {
    const call = async () => 1;
    for (const bad of [
      { ...fast, attempts: 0 },
      { ...fast, attempts: 1.5 },
      { ...fast, attempts: Number.POSITIVE_INFINITY },
      { ...fast, minDelayMs: -1 },
      { ...fast, minDelayMs: 5, maxDelayMs: 2 },
      { ...fast, maxDelayMs: Number.NaN },
    ]) {
      await assert.rejects(
        retryChain('read', call, bad),
        { code: 'ERR_INVALID_ARGUMENT' },
        JSON.stringify(bad),
      );
    }
  });

  it('DEFAULT_CHAIN_RETRY is 5 tries between 250 ms and 10 s', () => {
    assert.deepEqual({ ...DEFAULT_CHAIN_RETRY }, { attempts: 5, minDelayMs: 250, maxDelayMs: 10_000 });
    assert.ok(Object.isFrozen(DEFAULT_CHAIN_RETRY));
  });
});
