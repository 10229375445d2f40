/**
 * One cell of the matrix: start a topology, its receiver and sender (each in its own process),
 * run warm-up + measured window, sample every process's CPU over exactly that window and its peak
 * RSS, then stop everything before the next cell. A settling cell also counts the claims that
 * flowed in the window, and fails when none was accepted (settlement.ts).
 */
import { performance } from 'node:perf_hooks';
import type { ReceiverOptions } from '../load/receiver.js';
import type { SenderOptions } from '../load/sender.js';
import type { LoadResult, RunCommand } from './messages.js';
import { Child, cpuSeconds, isType, type Measured, machineBusySeconds, memoryMb, stopAll } from './proc.js';
import { type ClaimCounts, claimProblem, type SettlementRun } from './settlement.js';
import { RECEIVER, SENDER, STARTUP_TIMEOUT_MS, startTopology, type Target } from './topology.js';

export interface CellSpec {
  target: Target;
  hops: number;
  inFlight: number;
  /** Routes added to our last node beyond the one in use (ours only). */
  extraRoutes?: number;
  /** Routes our last node learns by CCP before the window (ours only, --scale-learned). */
  learnedRoutes?: number;
}

export interface CellSettings {
  warmupMs: number;
  measureMs: number;
  /** Generator writes batched per incoming chunk (default). */
  batch: boolean;
  /** Node flags for the node processes of these targets (e.g. --cpu-prof). */
  nodeExecArgv: (target: Target) => string[];
  /** The run's chain, when a target settles. */
  settlement?: SettlementRun;
}

export interface ProcessStats {
  name: string;
  /** Share of one core over the measured window (100 = one core busy). */
  cpuPct: number;
  peakRssMb: number;
}

export interface CellResult extends CellSpec {
  round: number;
  load?: LoadResult;
  nodes: ProcessStats[];
  sender?: ProcessStats;
  receiver?: ProcessStats;
  /** Processes beside the line (the verifier, the chain, anvil). */
  helpers?: ProcessStats[];
  /** CPU % used by everything else on the machine during the window (other users' jobs). */
  otherCpuPct?: number;
  /** Claims over the measured window (`ours-settling`). */
  claims?: ClaimCounts;
  error?: string;
}

const RESULT_SLACK_MS = 20_000;

export async function runCell(spec: CellSpec, round: number, settings: CellSettings): Promise<CellResult> {
  const result: CellResult = { ...spec, round, nodes: [] };
  try {
    const topology = await startTopology(spec.target, spec.hops, {
      execArgv: settings.nodeExecArgv(spec.target),
      extraRoutes: spec.extraRoutes ?? 0,
      ...(spec.learnedRoutes === undefined ? {} : { learnedRoutes: spec.learnedRoutes }),
      ...(settings.settlement === undefined ? {} : { settlement: settings.settlement }),
    });
    const receiver = Child.fork('receiver', 'load/receiver.js', {
      url: topology.receiverUrl,
      ...RECEIVER,
      batch: settings.batch,
      ...topology.receiverExtra,
    } satisfies ReceiverOptions);
    await receiver.waitFor(isType('authenticated'), STARTUP_TIMEOUT_MS, 'receiver auth');
    const sender = Child.fork('sender', 'load/sender.js', {
      urls: [topology.senderUrl],
      ...SENDER,
      inFlight: spec.inFlight,
      batch: settings.batch,
    } satisfies SenderOptions);
    await sender.waitFor(isType('authenticated'), STARTUP_TIMEOUT_MS, 'sender auth');
    await topology.linked();

    const measured = [...topology.nodes, sender, receiver, ...(topology.helpers ?? [])];
    const window = await runWindow([sender], measured, settings, topology.claims);
    const k = topology.nodes.length;
    result.load = window.results[0]!;
    result.nodes = window.stats.slice(0, k);
    result.sender = window.stats[k]!;
    result.receiver = window.stats[k + 1]!;
    if (topology.helpers !== undefined) result.helpers = window.stats.slice(k + 2);
    result.otherCpuPct = window.otherCpuPct;
    if (topology.claims !== undefined) {
      result.claims = topology.claims.window();
      const problem = claimProblem(result.claims);
      if (problem !== undefined) result.error = `${problem}\n${topology.claims.logTails()}`;
    }
  } catch (err) {
    result.error = err instanceof Error ? err.message : String(err);
  } finally {
    await stopAll();
  }
  return result;
}

/**
 * Tells every sender to run, samples the CPU time of `measured` when the last sender starts its
 * measured window and when the first one ends it (and tells `edges` then), and collects every
 * sender's result.
 */
export async function runWindow(
  senders: Child[],
  measured: Measured[],
  settings: Pick<CellSettings, 'warmupMs' | 'measureMs'>,
  edges?: { mark(edge: 'start' | 'end'): void },
): Promise<{ results: LoadResult[]; stats: ProcessStats[]; otherCpuPct: number }> {
  const command: RunCommand = { type: 'run', warmupMs: settings.warmupMs, measureMs: settings.measureMs };
  for (const s of senders) s.send(command);
  const startBound = settings.warmupMs + RESULT_SLACK_MS;
  await Promise.all(senders.map((s) => s.waitFor(isType('measure-start'), startBound, 'measure-start')));
  const cpuBefore = measured.map((c) => cpuSeconds(c.pid));
  const busyBefore = machineBusySeconds();
  const startedAt = performance.now();
  edges?.mark('start');
  await Promise.race(
    senders.map((s) => s.waitFor(isType('measure-end'), settings.measureMs + RESULT_SLACK_MS, 'measure-end')),
  );
  edges?.mark('end');
  const wallSec = (performance.now() - startedAt) / 1000;
  const busyPct = (100 * (machineBusySeconds() - busyBefore)) / wallSec;
  const stats = measured.map((c, i) => ({
    name: c.name,
    cpuPct: (100 * (cpuSeconds(c.pid) - cpuBefore[i]!)) / wallSec,
    peakRssMb: memoryMb(c.pid).peakMb,
  }));
  const done = await Promise.all(senders.map((s) => s.waitFor(isType('result'), RESULT_SLACK_MS, 'result')));
  const ours = stats.reduce((sum, st) => sum + st.cpuPct, 0);
  return { results: done.map((d) => d.result), stats, otherCpuPct: Math.max(0, busyPct - ours) };
}
