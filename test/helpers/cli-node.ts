/**
 * A connector run as an operator runs it: `connector start -c <file>` in its own process. Ports
 * are 0 in the config; the node's 'connector started' log line says which it got. Waits are on
 * log lines, never on fixed sleeps.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';

const BIN = join(process.cwd(), 'bin', 'connector.js');

export type LogLine = Record<string, unknown> & { msg?: string };

export class CliNode {
  readonly lines: LogLine[] = [];
  output = '';
  btpPort = 0;
  healthPort = 0;
  adminPort = 0;
  private readonly child: ChildProcess;
  private waiters: {
    match: (l: LogLine) => boolean;
    resolve: (l: LogLine) => void;
    reject: (e: Error) => void;
  }[] = [];
  private hasExited = false;

  constructor(configFile: string, env: Record<string, string> = {}) {
    this.child = spawn(process.execPath, [BIN, 'start', '-c', configFile], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '', ...env },
    });
    let partial = '';
    this.child.stdout?.on('data', (chunk: Buffer) => {
      const text = partial + chunk.toString();
      this.output += chunk.toString();
      const parts = text.split('\n');
      partial = parts.pop() ?? '';
      for (const part of parts) this.onLine(part);
    });
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.output += chunk.toString();
    });
    this.child.on('exit', (code) => {
      this.hasExited = true;
      for (const w of this.waiters) w.reject(new Error(`node exited (${code}):\n${this.output}`));
      this.waiters = [];
    });
  }

  static write(dir: string, name: string, yaml: string): string {
    const file = join(dir, `${name}.yaml`);
    writeFileSync(file, yaml);
    return file;
  }

  private onLine(text: string): void {
    let line: LogLine;
    try {
      line = JSON.parse(text) as LogLine;
    } catch {
      return;
    }
    this.lines.push(line);
    const ready = this.waiters.filter((w) => w.match(line));
    this.waiters = this.waiters.filter((w) => !w.match(line));
    for (const w of ready) w.resolve(line);
  }

  /** Resolves with the first log line (past or future) that matches. */
  waitForLog(match: (l: LogLine) => boolean): Promise<LogLine> {
    const seen = this.lines.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    if (this.hasExited) return Promise.reject(new Error(`node has exited:\n${this.output}`));
    return new Promise((resolve, reject) => this.waiters.push({ match, resolve, reject }));
  }

  async started(): Promise<void> {
    const line = await this.waitForLog((l) => l.msg === 'connector started');
    this.btpPort = line.btpPort as number;
    this.healthPort = line.healthPort as number;
    this.adminPort = (line.adminPort as number | undefined) ?? 0;
  }

  /** SIGTERM and the exit code. */
  async stop(): Promise<number | null> {
    if (this.hasExited) return this.child.exitCode;
    const exit = once(this.child, 'exit');
    this.child.kill('SIGTERM');
    const [code] = (await exit) as [number | null];
    return code;
  }

  /** Resolves when the process has exited (at once if it has). */
  async exited(): Promise<void> {
    if (!this.hasExited) await once(this.child, 'exit');
  }

  kill(): void {
    if (!this.hasExited) this.child.kill('SIGKILL');
  }
}

/** What a crash suite's CLI node adds to the shared part: its own sections, merged one level deep. */
export interface CliNodeParts {
  id: string;
  btpPort: number;
  /** The ledger's snapshot file (its journal lives beside it). */
  ledgerSnapshotPath?: string;
  reconcileInFlight?: boolean;
  /** Top-level sections; `btp` and `settlement` are merged into the shared ones. */
  [section: string]: unknown;
}

/**
 * The config the crash suites' CLI nodes share: free ports, admin API on loopback, no Explorer,
 * quick reconnects, and a journal ledger synced per batch (the durable default, explicit).
 */
export function cliNodeYaml(parts: CliNodeParts): string {
  const { id, btpPort, ledgerSnapshotPath, reconcileInFlight, btp, settlement, ...rest } = parts;
  return stringify({
    nodeId: id,
    btpServerPort: btpPort,
    healthCheckPort: 0,
    environment: 'development',
    logLevel: 'info',
    adminApi: { enabled: true, port: 0, host: '127.0.0.1' },
    explorer: { enabled: false },
    btp: { reconnectMinMs: 20, reconnectMaxMs: 200, ...(btp as object | undefined) },
    settlement: {
      ...(ledgerSnapshotPath === undefined ? {} : { ledgerSnapshotPath }),
      ledgerPersistIntervalMs: 200,
      ledgerDurability: 'fsync',
      ...(reconcileInFlight === true ? { reconcileInFlight } : {}),
      ...(settlement as object | undefined),
    },
    ...rest,
  });
}
