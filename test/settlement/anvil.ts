/**
 * anvil from npm (@foundry-rs/anvil ships the binary in a platform package) on a free loopback
 * port, for the chain tests. The binary is started directly, not through the package's node
 * wrapper, so killing our child kills anvil. `stop()` is idempotent; an exit hook kills it too
 * when a test file dies before its `after` runs.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { freePort } from '../helpers/ports.js';

const START_TIMEOUT_MS = 15_000;
const START_ATTEMPTS = 3;
const require = createRequire(import.meta.url);

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

export function anvilBinary(): string {
  const platform = `@foundry-rs/anvil-${process.platform}-${process.arch === 'x64' ? 'amd64' : process.arch}`;
  const pkg = require.resolve(`${platform}/package.json`);
  return join(dirname(pkg), 'bin', process.platform === 'win32' ? 'anvil.exe' : 'anvil');
}

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

function waitListening(child: ChildProcess, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(
      () => fail(new Error(`anvil did not start in ${START_TIMEOUT_MS} ms`)),
      START_TIMEOUT_MS,
    );
    const onData = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4096);
      if (output.includes(`Listening on 127.0.0.1:${port}`)) done();
    };
    const onExit = (code: number | null) => fail(new Error(`anvil exited (${code}): ${output}`));
    function cleanup() {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
    }
    function done() {
      cleanup();
      resolve();
    }
    function fail(error: Error) {
      cleanup();
      reject(error);
    }
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
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
