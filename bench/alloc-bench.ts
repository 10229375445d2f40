/**
 * Bytes our node allocates per forwarded packet: deterministic where throughput is not (CPU noise
 * changes how fast, not what is allocated). One node (n1) in its own process with the allocation
 * probe, the load receiver in another, and the sender here:
 *
 *   sender (this process) -> n1 -> receiver, over BTP on loopback
 *
 * Each round: the in-flight packets drain, n1 starts counting, exactly `--packets` Prepares go
 * through with `--inflight` in flight, all are answered, n1 stops counting. The total is exact
 * (v8.GCProfiler); with `--sample` the sites are V8's sampling heap profiler (see
 * targets/alloc-probe.ts). Sampling slows the node but does not change the total.
 *
 *   npm run build && node dist/bench/alloc-bench.js [--packets 50000] [--warmup 20000]
 *     [--inflight 100] [--rounds 3] [--sample] [--interval 1024] [--node-flags=--no-turbo-inlining]
 */
import { parseArgs } from 'node:util';
import type { AllocCommand, AllocReport, AllocSite, ChildMessage } from './harness/messages.js';
import { Child, isType, stopAll } from './harness/proc.js';
import { RECEIVER, SENDER, STARTUP_TIMEOUT_MS } from './harness/topology.js';
import { CountedLoop } from './load/counted-loop.js';
import { dialBtp } from './load/dial.js';
import { PrepareTemplate } from './load/frames.js';
import type { ReceiverOptions } from './load/receiver.js';
import type { OursOptions } from './targets/ours.js';

const REPORT_TIMEOUT_MS = 60_000;

interface AllocOptions {
  packets: number;
  warmup: number;
  inFlight: number;
  rounds: number;
  samplingIntervalBytes: number;
  /** Node flags of the node process, e.g. --no-turbo-inlining to attribute sites to callees. */
  nodeFlags: string[];
}

function parse(argv: string[]): AllocOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      packets: { type: 'string', default: '50000' },
      warmup: { type: 'string', default: '20000' },
      inflight: { type: 'string', default: '100' },
      rounds: { type: 'string', default: '3' },
      sample: { type: 'boolean', default: false },
      interval: { type: 'string', default: '1024' },
      'node-flags': { type: 'string', default: '' },
    },
  });
  const int = (s: string, what: string) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${what}: ${s} is not a positive integer`);
    return n;
  };
  return {
    packets: int(values.packets, 'packets'),
    warmup: int(values.warmup, 'warmup'),
    inFlight: int(values.inflight, 'inflight'),
    rounds: int(values.rounds, 'rounds'),
    samplingIntervalBytes: values.sample ? int(values.interval, 'interval') : 0,
    nodeFlags: values['node-flags'].split(' ').filter((f) => f !== ''),
  };
}

async function startLine(opts: AllocOptions): Promise<{ node: Child; loop: CountedLoop }> {
  const options: OursOptions = {
    nodeId: 'n1',
    peers: [
      { id: SENDER.username, authToken: SENDER.token },
      { id: RECEIVER.username, authToken: RECEIVER.token },
    ],
    routes: [{ prefix: 'g.receiver', nextHop: RECEIVER.username }],
    allocProbe: true,
  };
  const node = Child.fork('ours n1', 'targets/ours.js', options, opts.nodeFlags);
  const { port } = await node.waitFor(isType('listening'), STARTUP_TIMEOUT_MS, 'listening port');
  const url = `ws://127.0.0.1:${port}`;
  const receiver = Child.fork('receiver', 'load/receiver.js', { url, ...RECEIVER } satisfies ReceiverOptions);
  await receiver.waitFor(isType('authenticated'), STARTUP_TIMEOUT_MS, 'receiver auth');
  const ws = await dialBtp({ url, ...SENDER });
  return { node, loop: new CountedLoop(ws, opts.inFlight, new PrepareTemplate()) };
}

/** One measured round: the loop is idle before and after, so the window holds exactly `packets`. */
async function measure(
  node: Child,
  loop: CountedLoop,
  round: number,
  opts: AllocOptions,
): Promise<AllocReport> {
  node.send({
    type: 'alloc-start',
    round,
    samplingIntervalBytes: opts.samplingIntervalBytes,
  } satisfies AllocCommand);
  await node.waitFor(
    (m): m is Extract<ChildMessage, { type: 'alloc-started' }> =>
      m.type === 'alloc-started' && m.round === round,
    REPORT_TIMEOUT_MS,
    'alloc-started',
  );
  const result = await loop.run(opts.packets);
  node.send({ type: 'alloc-stop', round } satisfies AllocCommand);
  const { report } = await node.waitFor(
    (m): m is Extract<ChildMessage, { type: 'alloc-report' }> =>
      m.type === 'alloc-report' && m.round === round,
    REPORT_TIMEOUT_MS,
    'alloc-report',
  );
  if (result.failed > 0) throw new Error(`${result.failed} of ${opts.packets} packets were not fulfilled`);
  const perPacket = report.heapBytes / opts.packets;
  process.stderr.write(
    `round ${round}: ${opts.packets} packets in ${result.elapsedMs.toFixed(0)} ms, ${perPacket.toFixed(0)} B/packet, ${report.scavenges} scavenges, ${report.markCompacts} mark-compacts, GC ${report.gcMs.toFixed(0)} ms\n`,
  );
  return report;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function siteTable(title: string, sites: AllocSite[], sampled: number, packets: number): string {
  const rows = sites.map(
    (s) => `| ${s.site} | ${(s.bytes / packets).toFixed(0)} | ${((100 * s.bytes) / sampled).toFixed(1)}% |`,
  );
  return [`| ${title} | B/packet (sampled) | share |`, '| --- | ---: | ---: |', ...rows].join('\n');
}

function printReport(reports: AllocReport[], opts: AllocOptions): void {
  const n = opts.packets;
  const perPacket = median(reports.map((r) => r.heapBytes / n));
  const scavenges = median(reports.map((r) => (r.scavenges * 10_000) / n));
  const gcMs = median(reports.map((r) => (r.gcMs * 10_000) / n));
  console.log(
    `\n## Allocation per forwarded packet (1 hop, ${opts.inFlight} in flight, ${n} packets, median of ${reports.length} round(s))\n`,
  );
  console.log('| JS heap B/packet | scavenges per 10k packets | GC ms per 10k packets |');
  console.log('| ---: | ---: | ---: |');
  console.log(`| ${perPacket.toFixed(0)} | ${scavenges.toFixed(1)} | ${gcMs.toFixed(1)} |`);
  const last = reports[reports.length - 1]!;
  if (last.sampled === 0) return;
  console.log(
    `\nSampled in the last round (every ~${opts.samplingIntervalBytes} B; sampled total ${(last.sampled / n).toFixed(0)} B/packet):\n`,
  );
  console.log(siteTable('allocating function', last.self, last.sampled, n));
  console.log(`\n${siteTable('innermost frame of our code', last.ours, last.sampled, n)}`);
}

async function main(): Promise<void> {
  const opts = parse(process.argv.slice(2));
  const { node, loop } = await startLine(opts);
  const warm = await loop.run(opts.warmup);
  if (warm.failed > 0) throw new Error(`${warm.failed} warm-up packets were not fulfilled`);
  const reports: AllocReport[] = [];
  for (let round = 1; round <= opts.rounds; round++) reports.push(await measure(node, loop, round, opts));
  printReport(reports, opts);
  await stopAll();
  process.exit(0);
}

main().catch(async (err) => {
  console.error(err);
  await stopAll();
  process.exit(1);
});
