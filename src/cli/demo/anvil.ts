/**
 * anvil from npm (@foundry-rs/anvil ships the binary in a platform package, a dev dependency) on
 * a free loopback port. The binary is run directly, so killing our child kills anvil. A missing
 * binary or a failed start is an error that says what to do.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';

const START_TIMEOUT_MS = 15_000;
const START_ATTEMPTS = 3;
const require = createRequire(import.meta.url);

export interface DemoAnvil {
  readonly rpcUrl: string;
  readonly pid: number;
  stop(): Promise<void>;
}

export function anvilBinary(): string {
  const platform = `@foundry-rs/anvil-${process.platform}-${process.arch === 'x64' ? 'amd64' : process.arch}`;
  try {
    const pkg = require.resolve(`${platform}/package.json`);
    return join(dirname(pkg), 'bin', process.platform === 'win32' ? 'anvil.exe' : 'anvil');
  } catch {
    throw new Error(
      `anvil not found (${platform}): the demo runs a local chain with anvil from npm; ` +
        'run `npm install` in a checkout (it is a dev dependency), or `npm install @foundry-rs/anvil`',
    );
  }
}

/** A port the OS reports free (anvil must be told its port). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}

/** Resolves once anvil prints that it listens on `port`; rejects on exit or after 15 s, with its output. */
export function waitListening(child: ChildProcess, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const finish = (error?: Error) => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve();
    };
    const timer = setTimeout(
      () => finish(new Error(`anvil did not start within ${START_TIMEOUT_MS} ms`)),
      START_TIMEOUT_MS,
    );
    const onData = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4096);
      if (output.includes(`Listening on 127.0.0.1:${port}`)) finish();
    };
    const onExit = (code: number | null) => finish(new Error(`anvil exited (${code}): ${output.trim()}`));
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}

async function startOnce(binary: string, chainId: number): Promise<DemoAnvil> {
  const port = await freePort();
  const child = spawn(
    binary,
    ['--host', '127.0.0.1', '--port', String(port), '--chain-id', String(chainId), '--accounts', '10'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    }
  };
  try {
    await spawned;
    await waitListening(child, port);
  } catch (error) {
    await stop();
    throw error;
  }
  child.stdout?.resume();
  child.stderr?.resume();
  return { rpcUrl: `http://127.0.0.1:${port}`, pid: child.pid ?? 0, stop };
}

/** Retries on a fresh port: another process may take the free port before anvil binds it. */
export async function startAnvil(chainId: number): Promise<DemoAnvil> {
  const binary = anvilBinary();
  let last: unknown;
  for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
    try {
      return await startOnce(binary, chainId);
    } catch (error) {
      last = error;
    }
  }
  throw new Error(`anvil could not start: ${(last as Error).message}`);
}
