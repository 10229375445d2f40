/** What the numbers were measured on: they mean nothing without it. */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { cpus, loadavg, totalmem } from 'node:os';

export interface Machine {
  date: string;
  cpuModel: string;
  cores: number;
  memoryGb: number;
  node: string;
  /** 1, 5, 15 minute load averages at the start of the run. */
  loadAverage: number[];
  referenceVersion: string;
  /** The commit measured, and how many files under src/ differed from it (uncommitted work). */
  commit: string;
  dirtySrcFiles: number;
}

function git(args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

function lscpuModel(): string | undefined {
  try {
    const out = execFileSync('lscpu', { encoding: 'utf8' });
    return /^Model name:\s+(.+)$/m.exec(out)?.[1]?.trim();
  } catch {
    return undefined;
  }
}

export function describeMachine(): Machine {
  const require = createRequire(import.meta.url);
  const reference = require('ilp-connector/package.json') as { version: string };
  return {
    date: new Date().toISOString(),
    cpuModel: lscpuModel() ?? cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
    referenceVersion: reference.version,
    commit: git(['rev-parse', '--short', 'HEAD']) ?? 'unknown',
    dirtySrcFiles: (git(['status', '--porcelain', '--', 'src']) ?? '').split('\n').filter((l) => l !== '')
      .length,
  };
}

export function machineLine(m: Machine): string {
  const dirty = m.dirtySrcFiles > 0 ? ` + ${m.dirtySrcFiles} uncommitted src files` : '';
  return `${m.date} | commit ${m.commit}${dirty} | ${m.cores} x ${m.cpuModel}, ${m.memoryGb} GB | Node ${m.node} | ilp-connector ${m.referenceVersion} | load average ${m.loadAverage.join(' ')}`;
}
