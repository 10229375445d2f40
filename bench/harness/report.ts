/**
 * Medians over rounds per (hops, in-flight) and target, the ratios of ours to the reference and to
 * both relays,
 * printed as Markdown tables. A cell that failed in some round is reported from its other rounds;
 * a target with no good round shows "fail".
 */
import { BENCH_AMOUNT } from '../load/frames.js';
import type { CellResult, ProcessStats } from './cell.js';
import { TARGETS, type Target } from './topology.js';

export interface Summary {
  target: Target;
  hops: number;
  inFlight: number;
  extraRoutes: number;
  learnedRoutes: number;
  rounds: number;
  failedRounds: number;
  packetsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  rejected: number;
  /** CPU % per node process (median over rounds), upstream first. */
  nodeCpuPct: number[];
  /** Peak RSS per node process (max over rounds). */
  nodePeakRssMb: number[];
  senderCpuPct: number;
  receiverCpuPct: number;
  /** CPU % of everything else on the machine (median): high values mean a noisy measurement. */
  otherCpuPct: number;
  /** Settling cells: claims accepted per measured window (median), and per second. */
  claimsAccepted?: number;
  claimsPerSec?: number;
  /** Settling cells: ILP value the accepted claims settled over the value forwarded (median). */
  settledShare?: number;
  /** Settling cells: CPU % of the processes beside the line (verifier, chain, anvil; median). */
  helperCpuPct?: number[];
  errors: string[];
}

export function median(values: number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const mid = v.length >> 1;
  return v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

function perIndex(
  rows: ProcessStats[][],
  pick: (s: ProcessStats) => number,
  combine: (v: number[]) => number,
): number[] {
  const width = Math.max(0, ...rows.map((r) => r.length));
  return Array.from({ length: width }, (_, i) =>
    combine(rows.map((r) => (r[i] === undefined ? Number.NaN : pick(r[i]!)))),
  );
}

/** Claim medians of a target's good rounds (settling cells only). */
function claimSummary(good: CellResult[]): Partial<Summary> {
  const settled = good.filter((r) => r.claims !== undefined);
  if (settled.length === 0) return {};
  return {
    claimsAccepted: median(settled.map((r) => r.claims!.accepted)),
    claimsPerSec: median(settled.map((r) => r.claims!.accepted / (r.load!.measuredMs / 1000))),
    settledShare: median(
      settled.map((r) => r.claims!.ilpAccepted / (r.load!.fulfilled * Number(BENCH_AMOUNT))),
    ),
    helperCpuPct: perIndex(
      settled.map((r) => r.helpers ?? []),
      (s) => s.cpuPct,
      median,
    ),
  };
}

export function summarize(results: CellResult[]): Summary[] {
  const groups = new Map<string, CellResult[]>();
  for (const r of results) {
    const key = `${r.hops}|${r.inFlight}|${r.target}|${r.extraRoutes ?? 0}|${r.learnedRoutes ?? 0}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()].map((rs) => {
    const good = rs.filter((r) => r.load !== undefined && r.error === undefined);
    const first = rs[0]!;
    return {
      target: first.target,
      hops: first.hops,
      inFlight: first.inFlight,
      extraRoutes: first.extraRoutes ?? 0,
      learnedRoutes: first.learnedRoutes ?? 0,
      rounds: rs.length,
      failedRounds: rs.length - good.length,
      packetsPerSec: median(good.map((r) => r.load!.packetsPerSec)),
      p50Ms: median(good.map((r) => r.load!.p50Ms)),
      p99Ms: median(good.map((r) => r.load!.p99Ms)),
      rejected: good.reduce((n, r) => n + r.load!.rejected + r.load!.errors, 0),
      nodeCpuPct: perIndex(
        good.map((r) => r.nodes),
        (s) => s.cpuPct,
        median,
      ),
      nodePeakRssMb: perIndex(
        good.map((r) => r.nodes),
        (s) => s.peakRssMb,
        (v) => Math.max(...v.filter(Number.isFinite)),
      ),
      senderCpuPct: median(good.map((r) => r.sender?.cpuPct ?? Number.NaN)),
      receiverCpuPct: median(good.map((r) => r.receiver?.cpuPct ?? Number.NaN)),
      otherCpuPct: median(good.map((r) => r.otherCpuPct ?? Number.NaN)),
      ...claimSummary(good),
      errors: rs.flatMap((r) => [
        ...(r.error === undefined ? [] : [`round ${r.round}: ${r.error.split('\n')[0]}`]),
        ...(r.load?.firstFailures ?? []).map((f) => `round ${r.round}: ${f}`),
      ]),
    };
  });
}

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : 'fail');
const thousands = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'fail');
const ratio = (a: number, b: number) =>
  Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}` : '-';
const pct = (a: number, b: number) =>
  Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${((100 * a) / b).toFixed(0)}%` : '-';

function cells(
  summaries: Summary[],
): Array<{ hops: number; inFlight: number; by: Partial<Record<Target, Summary>> }> {
  const keys = [...new Set(summaries.map((s) => `${s.hops}|${s.inFlight}`))];
  return keys
    .map((k) => {
      const [hops, inFlight] = k.split('|').map(Number) as [number, number];
      const by: Partial<Record<Target, Summary>> = {};
      for (const s of summaries) if (s.hops === hops && s.inFlight === inFlight) by[s.target] = s;
      return { hops, inFlight, by };
    })
    .sort((a, b) => a.hops - b.hops || a.inFlight - b.inFlight);
}

const pps = (s: Summary | undefined) => (s === undefined ? '-' : thousands(s.packetsPerSec));
const lat = (s: Summary | undefined) => (s === undefined ? '-' : `${fmt(s.p50Ms, 2)} / ${fmt(s.p99Ms, 2)}`);
const rate = (s: Summary | undefined) => s?.packetsPerSec ?? Number.NaN;

export function throughputTable(summaries: Summary[]): string {
  const lines = [
    '| hops | in flight | relay pkt/s | batched relay pkt/s | ours pkt/s | reference pkt/s | ours/ref | ours/relay | ours/batched relay |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const { hops, inFlight, by } of cells(summaries)) {
    const o = rate(by.ours);
    const cols = [
      hops,
      inFlight,
      pps(by.relay),
      pps(by['relay-batch']),
      pps(by.ours),
      pps(by.reference),
      ratio(o, rate(by.reference)),
      pct(o, rate(by.relay)),
      pct(o, rate(by['relay-batch'])),
    ];
    lines.push(`| ${cols.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** The cost of durability: the durable default against the same node with its ledger in memory. */
export function durabilityTable(summaries: Summary[]): string {
  const rows = cells(summaries).filter(({ by }) => by.ours !== undefined && by['ours-durable'] !== undefined);
  if (rows.length === 0) return '';
  const lines = [
    '| hops | in flight | ours, ledger in memory pkt/s | ours, durable (fsync) pkt/s | durable/memory | durable p50 / p99 ms |',
    '| ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const { hops, inFlight, by } of rows) {
    const durable = by['ours-durable'];
    const cols = [
      hops,
      inFlight,
      pps(by.ours),
      pps(durable),
      pct(rate(durable), rate(by.ours)),
      lat(durable),
    ];
    lines.push(`| ${cols.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** The cost of the Explorer: the durable default with it on against the same node with it off. */
export function explorerTable(summaries: Summary[]): string {
  const rows = cells(summaries).filter(
    ({ by }) => by['ours-durable'] !== undefined && by['ours-explorer'] !== undefined,
  );
  if (rows.length === 0) return '';
  const lines = [
    '| hops | in flight | durable, Explorer off pkt/s | durable, Explorer on pkt/s | on/off | on p50 / p99 ms |',
    '| ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const { hops, inFlight, by } of rows) {
    const on = by['ours-explorer'];
    const off = by['ours-durable'];
    lines.push(`| ${[hops, inFlight, pps(off), pps(on), pct(rate(on), rate(off)), lat(on)].join(' | ')} |`);
  }
  return lines.join('\n');
}

/** The cost of in-flight records: the durable default with reconciliation on against it off. */
export function reconcileTable(summaries: Summary[]): string {
  const rows = cells(summaries).filter(
    ({ by }) => by['ours-durable'] !== undefined && by['ours-reconcile'] !== undefined,
  );
  if (rows.length === 0) return '';
  const lines = [
    '| hops | in flight | durable pkt/s | durable + in-flight records pkt/s | on/off | on p50 / p99 ms | node CPU us per packet, off / on |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const { hops, inFlight, by } of rows) {
    const on = by['ours-reconcile']!;
    const off = by['ours-durable']!;
    const cpu = `${fmt(cpuUsPerPacket(off), 1)} / ${fmt(cpuUsPerPacket(on), 1)}`;
    lines.push(
      `| ${[hops, inFlight, pps(off), pps(on), pct(rate(on), rate(off)), lat(on), cpu].join(' | ')} |`,
    );
  }
  return lines.join('\n');
}

/** The cost of settlement: `ours-settling` against `ours`, with the claims that flowed. */
export function settlementTable(summaries: Summary[]): string {
  const rows = cells(summaries).filter(({ by }) => by['ours-settling'] !== undefined);
  if (rows.length === 0) return '';
  const lines = [
    '| hops | in flight | ours pkt/s | ours-settling pkt/s | settling/off | settling p50 / p99 ms | node CPU us per packet, off / on | claims accepted per window (per s) | value settled in window | verifier + chain + anvil CPU % |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const { hops, inFlight, by } of rows) {
    const on = by['ours-settling']!;
    const off = by.ours;
    const cpu = `${off === undefined ? '-' : fmt(cpuUsPerPacket(off), 1)} / ${fmt(cpuUsPerPacket(on), 1)}`;
    const cols = [
      hops,
      inFlight,
      pps(off),
      pps(on),
      pct(rate(on), rate(off)),
      lat(on),
      cpu,
      `${fmt(on.claimsAccepted ?? Number.NaN)} (${fmt(on.claimsPerSec ?? Number.NaN, 1)})`,
      `${fmt(100 * (on.settledShare ?? Number.NaN))}%`,
      (on.helperCpuPct ?? []).map((c) => fmt(c)).join(' + ') || '-',
    ];
    lines.push(`| ${cols.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** A KMS signer against the env key: `ours-settling-kms` against `ours-settling`, same run. */
export function kmsTable(summaries: Summary[]): string {
  const rows = cells(summaries).filter(({ by }) => by['ours-settling-kms'] !== undefined);
  if (rows.length === 0) return '';
  const lines = [
    '| hops | in flight | env key pkt/s | KMS key pkt/s | KMS/env | KMS p50 / p99 ms | claims accepted per window, env / KMS (per s) | node CPU us per packet, env / KMS |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  const claims = (s: Summary | undefined) =>
    s === undefined
      ? '-'
      : `${fmt(s.claimsAccepted ?? Number.NaN)} (${fmt(s.claimsPerSec ?? Number.NaN, 1)})`;
  for (const { hops, inFlight, by } of rows) {
    const kms = by['ours-settling-kms']!;
    const env = by['ours-settling'];
    const cpu = `${env === undefined ? '-' : fmt(cpuUsPerPacket(env), 1)} / ${fmt(cpuUsPerPacket(kms), 1)}`;
    const cols = [hops, inFlight, pps(env), pps(kms), pct(rate(kms), rate(env)), lat(kms)];
    lines.push(`| ${[...cols, `${claims(env)} / ${claims(kms)}`, cpu].join(' | ')} |`);
  }
  return lines.join('\n');
}

export function latencyTable(summaries: Summary[]): string {
  const lines = [
    '| hops | in flight | ours p50 / p99 ms | reference p50 / p99 ms | relay p50 / p99 ms | batched relay p50 / p99 ms |',
    '| ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const { hops, inFlight, by } of cells(summaries)) {
    const cols = [hops, inFlight, lat(by.ours), lat(by.reference), lat(by.relay), lat(by['relay-batch'])];
    lines.push(`| ${cols.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** CPU time all nodes of the line spent per fulfilled packet: cost, whatever the machine's load. */
export function cpuUsPerPacket(s: Summary): number {
  const cpu = s.nodeCpuPct.reduce((sum, c) => sum + c, 0);
  return (cpu / 100) * (1e6 / s.packetsPerSec);
}

export function resourceTable(summaries: Summary[]): string {
  const lines = [
    '| hops | in flight | target | node CPU % | node CPU us per packet | node peak RSS MB | sender CPU % | receiver CPU % | other CPU % | rejects | failed rounds |',
    '| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const { hops, inFlight, by } of cells(summaries)) {
    for (const target of TARGETS) {
      const s = by[target];
      if (s === undefined) continue;
      const cpu = s.nodeCpuPct.map((c) => fmt(c)).join(' + ');
      const rss = s.nodePeakRssMb.map((m) => fmt(m)).join(' + ');
      lines.push(
        `| ${hops} | ${inFlight} | ${target} | ${cpu || '-'} | ${fmt(cpuUsPerPacket(s), 1)} | ${rss || '-'} | ${fmt(s.senderCpuPct)} | ${fmt(s.receiverCpuPct)} | ${fmt(s.otherCpuPct)} | ${s.rejected} | ${s.failedRounds}/${s.rounds} |`,
      );
    }
  }
  return lines.join('\n');
}

export function problems(summaries: Summary[]): string {
  const lines = summaries
    .filter((s) => s.errors.length > 0)
    .map(
      (s) => `- ${s.target} ${s.hops} hop(s), ${s.inFlight} in flight: ${s.errors.slice(0, 5).join('; ')}`,
    );
  return lines.length === 0 ? '' : `Problems:\n${lines.join('\n')}`;
}
