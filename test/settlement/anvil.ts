/**
 * anvil from npm (@foundry-rs/anvil ships the binary in a platform package) on a free loopback
 * port, for the chain tests. The binary is started directly, not through the package's node
 * wrapper, so killing our child kills anvil. `stop()` is idempotent; an exit hook kills it too
 * when a test file dies before its `after` runs.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { anvilBinary, waitListening } from '../../src/cli/demo/anvil.js';
import { freePort } from '../helpers/ports.js';

const START_ATTEMPTS = 3;

/** The well-known anvil dev accounts of "test test ... junk" (public keys, dev chains only). */
export const ANVIL_KEYS = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
  '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6',
] as const;
export const TEST_MNEMONIC = 'test test test test test test test test test test test junk';

export interface Anvil {
  readonly rpcUrl: string;
  readonly chainId: number;
  /** A raw JSON-RPC call (evm_increaseTime, evm_mine, ...). */
  rpc(method: string, params?: unknown[]): Promise<unknown>;
  stop(): Promise<void>;
}

export { anvilBinary };

const running = new Set<ChildProcess>();

function killAll(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

// `after` hooks stop anvil normally; these cover a file that exits early or is terminated
// (node:test cancels a timed-out file with SIGTERM). A signal is re-raised once anvil is gone.
process.once('exit', killAll);
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    killAll();
    process.kill(process.pid, signal);
  });
}

async function startOnce(chainId: number): Promise<Anvil> {
  const port = await freePort();
  const child = spawn(
    anvilBinary(),
    ['--host', '127.0.0.1', '--port', String(port), '--chain-id', String(chainId), '--accounts', '4'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  running.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    running.delete(child);
  };
  try {
    await waitListening(child, port);
  } catch (error) {
    await stop();
    throw error;
  }
  // Drain output so a full pipe never blocks anvil.
  child.stdout?.resume();
  child.stderr?.resume();
  const rpcUrl = `http://127.0.0.1:${port}`;
  let id = 0;
  const rpc = async (method: string, params: unknown[] = []) => {
    const res = await fetch(rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }),
    });
    const body = (await res.json()) as { result?: unknown; error?: { message: string } };
    if (body.error) throw new Error(`${method}: ${body.error.message}`);
    return body.result;
  };
  return { rpcUrl, chainId, rpc, stop };
}

/** Retries on a fresh port: another process may take the free port before anvil binds it. */
export async function startAnvil(chainId: number): Promise<Anvil> {
  let last: unknown;
  for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
    try {
      return await startOnce(chainId);
    } catch (error) {
      last = error;
    }
  }
  throw last;
}
