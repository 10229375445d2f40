/** What the setup tests share: running the CLI in a directory, and starting what it wrote. */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const BIN = join(process.cwd(), 'bin', 'connector.js');

export function cli(args: readonly string[], cwd: string, env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    timeout: 30_000,
    cwd,
    env: { PATH: process.env.PATH ?? '', ...env },
  });
}

/** The .env as a map (the double-quoted form setup writes). */
export function readEnvFile(path: string): Map<string, string> {
  const entries = new Map<string, string>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)="(.*)"$/.exec(line);
    if (m) entries.set(m[1]!, m[2]!);
  }
  return entries;
}

export interface Started {
  /** The 'connector started' log line. */
  readonly line: Record<string, unknown>;
  stop(): Promise<number | null>;
}

/** `connector start -c config.yaml` in `cwd` (its .env is read): resolves once started. */
export async function startWritten(cwd: string, env: Record<string, string> = {}): Promise<Started> {
  const child: ChildProcess = spawn(process.execPath, [BIN, 'start', '-c', 'config.yaml'], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  let output = '';
  child.stderr?.on('data', (c: Buffer) => {
    output += c.toString();
  });
  const line = await new Promise<Record<string, unknown>>((resolve, reject) => {
    let partial = '';
    child.stdout?.on('data', (c: Buffer) => {
      output += c.toString();
      const parts = (partial + c.toString()).split('\n');
      partial = parts.pop() ?? '';
      for (const part of parts) {
        try {
          const parsed = JSON.parse(part) as Record<string, unknown>;
          if (parsed.msg === 'connector started') resolve(parsed);
        } catch {
          // not a log line
        }
      }
    });
    child.once('exit', (code) => reject(new Error(`connector exited (${code}):\n${output}`)));
  });
  return {
    line,
    stop: async () => {
      if (child.exitCode !== null) return child.exitCode;
      const exit = once(child, 'exit');
      child.kill('SIGTERM');
      return (await exit)[0] as number | null;
    },
  };
}
