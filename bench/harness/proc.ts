/**
 * Child processes of a bench cell: forked entry scripts with an IPC channel, their messages
 * awaited with a bound, their output kept as a bounded tail for diagnostics, their CPU time and
 * memory read from /proc (process.cpuUsage cannot see a child), and a bounded kill.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ChildMessage } from './messages.js';

const TAIL_LINES = 40;
const KILL_GRACE_MS = 3000;
/** USER_HZ: the unit of utime/stime in /proc/<pid>/stat (100 on every Linux we run). */
const CLOCK_TICKS_PER_SEC = 100;

/** Every child not yet exited, so that a failed cell or an interrupted run leaves nothing behind. */
const live = new Set<Child>();
/** Children that outlive a cell (the settlement chain): `stopAll` leaves them, `stopEverything` not. */
const acrossCells = new Set<Child>();

/** A process whose CPU time is sampled over a window: a Child, or one of its own children (anvil). */
export interface Measured {
  readonly name: string;
  readonly pid: number;
}

interface Waiter {
  match: (m: ChildMessage) => boolean;
  resolve: (m: ChildMessage) => void;
  reject: (err: Error) => void;
}

export class Child {
  private readonly tail: string[] = [];
  private readonly received: ChildMessage[] = [];
  private readonly waiters = new Set<Waiter>();
  private exitReason: string | undefined;
  private readonly exited: Promise<void>;

  constructor(
    readonly name: string,
    readonly proc: ChildProcess,
  ) {
    proc.on('message', (m: ChildMessage) => this.onMessage(m));
    proc.stdout?.on('data', (chunk: Buffer) => this.keep(chunk));
    proc.stderr?.on('data', (chunk: Buffer) => this.keep(chunk));
    live.add(this);
    this.exited = new Promise((resolve) => {
      proc.once('exit', (code, signal) => {
        live.delete(this);
        acrossCells.delete(this);
        this.exitReason = `exited with ${signal ?? code}`;
        for (const w of this.waiters) w.reject(this.failure(`${name} ${this.exitReason}`));
        this.waiters.clear();
        resolve();
      });
    });
  }

  /** Forks `script` (a path under dist/bench, e.g. 'load/sender.js') with JSON options. */
  static fork(name: string, script: string, options: unknown, execArgv: string[] = []): Child {
    const path = fileURLToPath(new URL(`../${script}`, import.meta.url));
    const proc = fork(path, [JSON.stringify(options)], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      execArgv,
    });
    return new Child(name, proc);
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  /** The first message (received before or after this call) that `match` accepts. */
  waitFor<T extends ChildMessage>(
    match: (m: ChildMessage) => m is T,
    timeoutMs: number,
    what: string,
  ): Promise<T> {
    const seen = this.received.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    if (this.exitReason !== undefined) return Promise.reject(this.failure(`${this.name} ${this.exitReason}`));
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(this.failure(`${this.name}: no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter: Waiter = {
        match,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m as T);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      this.waiters.add(waiter);
    });
  }

  send(message: unknown): void {
    this.proc.send(message as object);
  }

  /** SIGTERM, then SIGKILL after a grace period. */
  async stop(): Promise<void> {
    if (this.exitReason !== undefined) return;
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), KILL_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
  }

  logTail(): string {
    return this.tail.join('\n');
  }

  private onMessage(m: ChildMessage): void {
    if (m.type === 'fatal') {
      for (const w of this.waiters) w.reject(this.failure(`${this.name} failed: ${m.message}`));
      this.waiters.clear();
      return;
    }
    this.received.push(m);
    for (const w of this.waiters) {
      if (!w.match(m)) continue;
      this.waiters.delete(w);
      w.resolve(m);
    }
  }

  private keep(chunk: Buffer): void {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line === '') continue;
      this.tail.push(line.length > 400 ? `${line.slice(0, 400)}...` : line);
      if (this.tail.length > TAIL_LINES) this.tail.shift();
    }
  }

  private failure(message: string): Error {
    const tail = this.logTail();
    return new Error(tail === '' ? message : `${message}\n--- ${this.name} output (tail) ---\n${tail}`);
  }
}

/** Keeps `child` running across cells: only its own stop() or `stopEverything` ends it. */
export function keepAcrossCells(child: Child): Child {
  acrossCells.add(child);
  return child;
}

/** Stops every child of the cell still running (in parallel, each with the SIGKILL bound). */
export async function stopAll(): Promise<void> {
  await Promise.all([...live].filter((c) => !acrossCells.has(c)).map((c) => c.stop()));
}

/** Stops every child, those kept across cells too: the end of a run, or an interrupted one. */
export async function stopEverything(): Promise<void> {
  await Promise.all([...live].map((c) => c.stop()));
}

/** The children of `pid` (Linux: /proc/<pid>/task/<pid>/children); empty when unreadable. */
export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'latin1')
      .trim()
      .split(/\s+/)
      .filter((s) => s !== '')
      .map(Number);
  } catch {
    return [];
  }
}

/** CPU seconds (user + system) a process has used so far; NaN once it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SEC;
  } catch {
    return Number.NaN;
  }
}

/**
 * CPU seconds the whole machine has been busy (all cores; user, nice, system, irq, softirq and
 * steal), from /proc/stat: minus what our processes used, it tells how much else ran in a window.
 */
export function machineBusySeconds(): number {
  try {
    const line = readFileSync('/proc/stat', 'latin1').split('\n', 1)[0]!;
    const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
    return (
      ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) /
      CLOCK_TICKS_PER_SEC
    );
  } catch {
    return Number.NaN;
  }
}

/** Peak (VmHWM) and current (VmRSS) resident memory in MB; NaN once the process is gone. */
export function memoryMb(pid: number): { peakMb: number; rssMb: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'latin1');
    const kb = (field: string) =>
      Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
    return { peakMb: kb('VmHWM') / 1024, rssMb: kb('VmRSS') / 1024 };
  } catch {
    return { peakMb: Number.NaN, rssMb: Number.NaN };
  }
}

/** A type guard for `waitFor`. */
export function isType<K extends ChildMessage['type']>(type: K) {
  return (m: ChildMessage): m is Extract<ChildMessage, { type: K }> => m.type === type;
}
