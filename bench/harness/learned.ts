/**
 * `--scale-learned`: forwarding throughput of our node (1 hop, 100 in flight) with 10 and with
 * 100,000 routes learned by CCP (bench/targets/feed-routes.ts), rounds interleaved with the order
 * alternating. The packets follow a configured route; the learned ones fill the same table, so
 * what is measured is whether the lookup (and anything else per packet) grows with them.
 */
import { type CellResult, type CellSettings, runCell } from './cell.js';
import type { BenchOptions } from './options.js';
import { cpuUsPerPacket, summarize } from './report.js';

export const LEARNED_TOTALS = [10, 100_000];
const IN_FLIGHT = 100;

export async function runLearned(
  opts: BenchOptions,
  settings: CellSettings,
  log: (l: string) => void,
): Promise<CellResult[]> {
  const results: CellResult[] = [];
  for (let round = 1; round <= opts.rounds; round++) {
    const order = round % 2 === 1 ? LEARNED_TOTALS : [...LEARNED_TOTALS].reverse();
    for (const learnedRoutes of order) {
      const r = await runCell(
        { target: 'ours', hops: 1, inFlight: IN_FLIGHT, learnedRoutes },
        round,
        settings,
      );
      results.push(r);
      const outcome = r.load === undefined ? `FAILED ${r.error}` : `${r.load.packetsPerSec.toFixed(0)} pkt/s`;
      log(
        `learned routes: round ${round}, ${learnedRoutes} learned: ${outcome}, other CPU ${r.otherCpuPct?.toFixed(0)}%`,
      );
    }
  }
  return results;
}

const f = (n: number | undefined, digits = 0) =>
  n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(digits);

export function learnedTable(results: CellResult[]): string {
  const lines = [
    `## Learned routes (CCP): 1 hop, ${IN_FLIGHT} in flight, median over rounds`,
    '',
    '| learned routes | pkt/s | p50 / p99 ms | node CPU % | node CPU us per packet | node peak RSS MB | other CPU % | failed rounds |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of summarize(results).sort((x, y) => x.learnedRoutes - y.learnedRoutes)) {
    lines.push(
      `| ${r.learnedRoutes.toLocaleString('en-US')} | ${f(r.packetsPerSec)} | ${f(r.p50Ms, 2)} / ${f(r.p99Ms, 2)} | ${f(r.nodeCpuPct[0])} | ${f(cpuUsPerPacket(r), 1)} | ${f(r.nodePeakRssMb[0])} | ${f(r.otherCpuPct)} | ${r.failedRounds}/${r.rounds} |`,
    );
  }
  return lines.join('\n');
}
