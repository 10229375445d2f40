/** The scale scenarios' results as Markdown tables. */

import { cpuUsPerPacket, median, summarize } from './report.js';
import type { PeerScale, ScaleReport } from './scale.js';
import { BASE_ROUTES } from './scale.js';

const f = (n: number | undefined, digits = 0) =>
  n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(digits);

type Target = PeerScale['target'];

/** Median over the rounds of `target` of a value that may be missing in failed rounds. */
function med(runs: PeerScale[], pick: (p: PeerScale) => number | undefined): number {
  return median(runs.map((p) => pick(p) ?? Number.NaN));
}

function byTarget(report: ScaleReport): Array<[Target, PeerScale[]]> {
  const targets = [...new Set(report.peers.map((p) => p.target))];
  return targets.map((t) => [t, report.peers.filter((p) => p.target === t)]);
}

interface LoadRun {
  packetsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  node: { cpuPct: number; peakRssMb: number };
  clientsCpuPct: number;
  otherCpuPct: number;
}

function loadRow(target: Target, scenario: string, runs: LoadRun[]): string {
  const m = (pick: (r: LoadRun) => number) => median(runs.map(pick));
  const p50 = m((r) => r.p50Ms);
  const p99 = m((r) => r.p99Ms);
  const usPerPacket = m((r) => (r.node.cpuPct * 1e4) / r.packetsPerSec);
  const cells = [
    target,
    scenario,
    f(m((r) => r.packetsPerSec)),
    `${f(p50, 2)} / ${f(p99, 2)}`,
    f(m((r) => r.node.cpuPct)),
    f(usPerPacket, 1),
    f(Math.max(...runs.map((r) => r.node.peakRssMb))),
    f(m((r) => r.clientsCpuPct)),
    f(m((r) => r.otherCpuPct)),
  ];
  return `| ${cells.join(' | ')} |`;
}

export function scaleTables(report: ScaleReport): string {
  const lines = [
    '## Scale: peers connecting to one node (median over rounds)',
    '',
    '| target | peers | all authenticated, ms | client dial -> last auth, ms | node RSS before / after, MB | KB per peer | failed rounds |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const [target, runs] of byTarget(report)) {
    const before = med(runs, (p) => p.rssBeforeMb);
    const after = med(runs, (p) => p.rssConnectedMb);
    const peers = runs[0]!.peers;
    const perPeerKb = med(runs, (p) =>
      p.rssConnectedMb === undefined || p.rssBeforeMb === undefined
        ? undefined
        : ((p.rssConnectedMb - p.rssBeforeMb) * 1024) / p.peers,
    );
    const failed = runs.filter((p) => p.error !== undefined).length;
    lines.push(
      `| ${target} | ${peers} | ${f(med(runs, (p) => p.handshakeMs))} | ${f(med(runs, (p) => p.clientDialMs))} | ${f(before)} / ${f(after)} | ${f(perPeerKb, 1)} | ${failed}/${runs.length} |`,
    );
  }
  lines.push(
    '',
    '## Scale: load with many peers (median over rounds; peak RSS: max)',
    '',
    '| target | scenario | pkt/s | p50 / p99 ms | node CPU % | node CPU us per packet | node peak RSS MB | load clients CPU % | other CPU % |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const [target, runs] of byTarget(report)) {
    const peers = runs[0]!.peers;
    const idle = runs.map((p) => p.idlePeers).filter((x) => x !== undefined);
    const all = runs.map((p) => p.allSending).filter((x) => x !== undefined);
    lines.push(
      loadRow(
        target,
        `1 sender, 100 in flight, ${peers} idle peers`,
        idle.map((x) => ({ ...x.load, ...x })),
      ),
      loadRow(target, `${peers} peers sending, 1 in flight each`, all),
    );
  }
  lines.push(
    '',
    '## Scale: routes in our table (1 hop, 100 in flight, median over rounds)',
    '',
    '| routes in table | pkt/s | p50 / p99 ms | node CPU % | node CPU us per packet | node peak RSS MB | other CPU % | failed rounds |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const r of summarize(report.routes).sort((x, y) => x.extraRoutes - y.extraRoutes)) {
    const total = (r.extraRoutes + BASE_ROUTES).toLocaleString('en-US');
    lines.push(
      `| ${total} | ${f(r.packetsPerSec)} | ${f(r.p50Ms, 2)} / ${f(r.p99Ms, 2)} | ${f(r.nodeCpuPct[0])} | ${f(cpuUsPerPacket(r), 1)} | ${f(r.nodePeakRssMb[0])} | ${f(r.otherCpuPct)} | ${r.failedRounds}/${r.rounds} |`,
    );
  }
  return lines.join('\n');
}
