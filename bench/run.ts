/**
 * `npm run bench`: throughput and latency of our connector, the reference ilp-connector and a byte
 * relay (the ceiling), over real BTP on loopback, in lines of 1 and 2 hops, closed loop with N
 * requests in flight; every node, the load sender and the load receiver in their own processes.
 * Rounds are interleaved (relay, ours, reference, rotated each round) so that drift of a noisy
 * machine hits all targets alike; medians over rounds and the ratios are printed as Markdown.
 * See docs/perf.md for how to read the output and the harness's limits.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { KmsBackendName } from '../test/keys/kms/backends.js';
import { type CellResult, type CellSettings, runCell } from './harness/cell.js';
import { learnedTable, runLearned } from './harness/learned.js';
import { describeMachine, type Machine, machineLine } from './harness/machine.js';
import { type BenchOptions, parseOptions, USAGE } from './harness/options.js';
import { stopEverything } from './harness/proc.js';
import {
  durabilityTable,
  explorerTable,
  kmsTable,
  latencyTable,
  problems,
  reconcileTable,
  resourceTable,
  settlementTable,
  summarize,
  throughputTable,
} from './harness/report.js';
import { runScale, type ScaleReport } from './harness/scale.js';
import { scaleTables } from './harness/scale-report.js';
import { type SettlementRun, startSettlementRun, stateFilesLine } from './harness/settlement.js';
import { runsHops, SETTLING_TARGETS, type Target } from './harness/topology.js';
import { BENCH_AMOUNT } from './load/frames.js';

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

function describeCell(r: CellResult): string {
  const head = `round ${r.round} | ${r.hops} hop(s) | ${String(r.inFlight).padStart(4)} in flight | ${r.target.padEnd(11)}`;
  if (r.error !== undefined || r.load === undefined) return `${head} | FAILED: ${r.error?.split('\n')[0]}`;
  const l = r.load;
  const nodes = r.nodes.map((n) => `${n.cpuPct.toFixed(0)}%`).join('+');
  const failures =
    l.rejected + l.errors > 0
      ? ` | ${l.rejected} rejects, ${l.errors} errors: ${l.firstFailures.join(', ')}`
      : '';
  return `${head} | ${Math.round(l.packetsPerSec).toString().padStart(7)} pkt/s | p50 ${l.p50Ms.toFixed(2)} p99 ${l.p99Ms.toFixed(2)} ms | node CPU ${nodes} | sender ${r.sender?.cpuPct.toFixed(0)}% receiver ${r.receiver?.cpuPct.toFixed(0)}% | other ${r.otherCpuPct?.toFixed(0)}%${failures}${describeClaims(r)}`;
}

/** Claims in the window and what the processes beside the line used (settling cells). */
function describeClaims(r: CellResult): string {
  const c = r.claims;
  if (c === undefined) return '';
  const seconds = (r.load?.measuredMs ?? Number.NaN) / 1000;
  const forwarded = (r.load?.fulfilled ?? 0) * Number(BENCH_AMOUNT);
  const helpers = (r.helpers ?? []).map((h) => `${h.name} ${h.cpuPct.toFixed(0)}%`).join(' ');
  return ` | claims in window: ${c.sent} sent, ${c.acknowledged} acknowledged, ${c.accepted} accepted (${(c.accepted / seconds).toFixed(1)}/s, ${((100 * c.ilpAccepted) / forwarded).toFixed(0)}% of the value forwarded), ${c.refused} refused, ${c.errors} errors | ${helpers}`;
}

/** Round r runs the targets rotated by r, so none always goes first (or last). */
function rotated(targets: Target[], round: number): Target[] {
  const k = round % targets.length;
  return [...targets.slice(k), ...targets.slice(0, k)];
}

async function runMatrix(opts: BenchOptions, settings: CellSettings): Promise<CellResult[]> {
  const results: CellResult[] = [];
  const perRound = opts.hops.reduce((n, h) => n + opts.targets.filter((t) => runsHops(t, h)).length, 0);
  const total = opts.rounds * opts.inFlight.length * perRound;
  for (let round = 1; round <= opts.rounds; round++) {
    for (const hops of opts.hops) {
      for (const inFlight of opts.inFlight) {
        for (const target of rotated(opts.targets, round - 1)) {
          if (!runsHops(target, hops)) continue;
          const result = await runCell({ target, hops, inFlight }, round, settings);
          results.push(result);
          log(`[${results.length}/${total}] ${describeCell(result)}`);
        }
      }
    }
  }
  return results;
}

function settingsOf(opts: BenchOptions): CellSettings {
  const profileDir = resolve(opts.profileDir);
  if (opts.profile.length > 0) mkdirSync(profileDir, { recursive: true });
  return {
    warmupMs: opts.warmupMs,
    measureMs: opts.measureMs,
    batch: opts.batch,
    nodeExecArgv: (target) =>
      opts.profile.includes(target) ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
  };
}

interface SavedRun {
  machine: Machine;
  options: BenchOptions;
  results: CellResult[];
  scale: ScaleReport | undefined;
  /** `--scale-learned` cells. */
  learned?: CellResult[];
  /** The settling nodes' state files at the end of the matrix (`ours-settling`). */
  settlementState?: string;
}

function printReport(run: SavedRun): void {
  const { machine, options, results, scale } = run;
  if (results.length > 0) {
    const summaries = summarize(results);
    console.log(
      `\n## Throughput and latency (median of ${options.rounds} round(s))\n\n${machineLine(machine)}\n`,
    );
    console.log(throughputTable(summaries));
    console.log(`\n### Latency, send -> reply at the sender\n\n${latencyTable(summaries)}`);
    const durability = durabilityTable(summaries);
    if (durability !== '') console.log(`\n### Durable ledger against the ledger in memory\n\n${durability}`);
    const explorer = explorerTable(summaries);
    if (explorer !== '')
      console.log(`\n### Explorer on against Explorer off (durable ledger)\n\n${explorer}`);
    const reconcile = reconcileTable(summaries);
    if (reconcile !== '')
      console.log(`\n### In-flight records (reconciliation) on against off (durable ledger)\n\n${reconcile}`);
    const settling = settlementTable(summaries);
    if (settling !== '') console.log(`\n### Settlement on against settlement off\n\n${settling}`);
    const kms = kmsTable(summaries);
    if (kms !== '') console.log(`\n### Settlement with a KMS key against the env key\n\n${kms}`);
    if (run.settlementState !== undefined) console.log(`\n${run.settlementState}`);
    console.log(
      `\n## Resources over the measured window (median; peak RSS: max)\n\n${resourceTable(summaries)}`,
    );
    const trouble = problems(summaries);
    if (trouble !== '') console.log(`\n${trouble}`);
  }
  if (scale !== undefined) console.log(`\n${scaleTables(scale)}`);
  if (run.learned !== undefined && run.learned.length > 0) console.log(`\n${learnedTable(run.learned)}`);
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  if (opts === undefined) {
    console.log(USAGE);
    return;
  }
  if (opts.report !== undefined) {
    printReport(JSON.parse(readFileSync(opts.report, 'utf8')) as SavedRun);
    return;
  }
  const machine = describeMachine();
  const settings = settingsOf(opts);
  log(`bench: ${machineLine(machine)}`);
  const startedAt = Date.now();
  let results: CellResult[] = [];
  let scale: ScaleReport | undefined;
  let settlementState: string | undefined;
  if (opts.matrix) {
    log(
      `matrix: ${opts.rounds} round(s) x hops ${opts.hops} x in flight ${opts.inFlight} x ${opts.targets.join('/')}, ${opts.warmupMs / 1000} + ${opts.measureMs / 1000} s per cell`,
    );
    const chain = opts.targets.some((t) => SETTLING_TARGETS.includes(t))
      ? await startChain(opts.kmsBackend)
      : undefined;
    try {
      results = await runMatrix(opts, chain === undefined ? settings : { ...settings, settlement: chain });
      if (chain !== undefined) settlementState = stateFilesLine(chain);
    } finally {
      await chain?.stop();
    }
  }
  if (opts.scale) scale = await runScale(opts, settings, log);
  const learned = opts.scaleLearned ? await runLearned(opts, settings, log) : undefined;
  const run: SavedRun = {
    machine,
    options: opts,
    results,
    scale,
    ...(learned === undefined ? {} : { learned }),
    ...(settlementState === undefined ? {} : { settlementState }),
  };
  printReport(run);
  console.log(`\nfinished in ${((Date.now() - startedAt) / 60_000).toFixed(1)} min`);
  if (opts.out !== undefined) {
    writeFileSync(opts.out, `${JSON.stringify({ ...run, summaries: summarize(results) }, null, 2)}\n`);
    log(`results written to ${opts.out}`);
  }
}

async function startChain(kmsBackend: KmsBackendName): Promise<SettlementRun> {
  const startedAt = Date.now();
  const chain = await startSettlementRun(kmsBackend);
  log(
    `settlement chain: anvil ${chain.chain.rpcUrl}, chain id ${chain.chain.chainId}, TokenNetwork ${chain.chain.tokenNetwork}, ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`,
  );
  return chain;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    stopEverything().finally(() => process.exit(130));
  });
}

main().catch(async (err) => {
  console.error(err);
  await stopEverything();
  process.exit(1);
});
