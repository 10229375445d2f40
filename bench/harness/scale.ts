/**
 * Scale scenarios (`--scale`), for our node and the reference, one node each:
 *  (a) N BTP peers (p0..p{N-1}, token t<i>) connect at once from a few client processes: time
 *      until all authenticated, and the node's RSS before and after;
 *  (b) with those N peers idle, one sender at 100 in flight (does an idle peer cost anything?);
 *  (c) all N peers send at once, 1 in flight each, to one receiver;
 * each repeated for every round (targets alternating), the tables showing medians;
 * and, for our node only, 1 hop at 100 in flight with 100k and 1M routes in its table.
 * The reference needs one listener port per peer (ilp-plugin-btp serves one peer per port).
 */
import { performance } from 'node:perf_hooks';
import type { ReceiverOptions } from '../load/receiver.js';
import type { SenderOptions } from '../load/sender.js';
import type { OursOptions } from '../targets/ours.js';
import type { ReferenceAccountSpec, ReferenceOptions } from '../targets/reference.js';
import { type CellResult, type CellSettings, type ProcessStats, runCell, runWindow } from './cell.js';
import type { LoadResult } from './messages.js';
import type { BenchOptions } from './options.js';
import { freePorts } from './ports.js';
import { Child, isType, memoryMb, stopAll } from './proc.js';
import { median } from './report.js';
import { RECEIVER, SENDER, STARTUP_TIMEOUT_MS } from './topology.js';

const CLIENT_PROCESSES = 2;
const IDLE_SENDER_IN_FLIGHT = 100;
/** Routes in our table: its own address and g.receiver, plus g.bench-<i> up to the total. */
const ROUTE_TOTALS = [2, 100_000, 1_000_000];
export const BASE_ROUTES = 2;
const CONNECT_TIMEOUT_MS = 180_000;

export interface PeerScale {
  target: 'ours' | 'reference';
  peers: number;
  /** Orchestrator clock: client processes forked -> every peer authenticated. */
  handshakeMs?: number;
  /** Client clock: first dial -> last auth Response (max over client processes). */
  clientDialMs?: number;
  rssBeforeMb?: number;
  rssConnectedMb?: number;
  idlePeers?: { load: LoadResult; node: ProcessStats; clientsCpuPct: number; otherCpuPct: number };
  allSending?: {
    packetsPerSec: number;
    p50Ms: number;
    p99Ms: number;
    rejected: number;
    node: ProcessStats;
    clientsCpuPct: number;
    otherCpuPct: number;
  };
  error?: string;
}

export interface ScaleReport {
  peers: PeerScale[];
  routes: CellResult[];
}

interface Line {
  node: Child;
  senderUrl: string;
  receiverUrl: string;
  peerUrls: string[];
  linked(): Promise<unknown>;
}

async function ourLine(n: number, execArgv: string[]): Promise<Line> {
  const peers = Array.from({ length: n }, (_, i) => ({ id: `p${i}`, authToken: `t${i}` }));
  const node = Child.fork(
    'ours n1',
    'targets/ours.js',
    {
      nodeId: 'n1',
      peers: [
        { id: SENDER.username, authToken: SENDER.token },
        { id: RECEIVER.username, authToken: RECEIVER.token },
        ...peers,
      ],
      routes: [{ prefix: 'g.receiver', nextHop: RECEIVER.username }],
    } satisfies OursOptions,
    execArgv,
  );
  const { port } = await node.waitFor(isType('listening'), STARTUP_TIMEOUT_MS, 'listening');
  const url = `ws://127.0.0.1:${port}`;
  let seen = 0;
  const all = new Promise<void>((resolve) => {
    node.proc.on('message', (m: { type: string; id?: string }) => {
      if (m.type === 'peer' && m.id?.startsWith('p') && ++seen === n) resolve();
    });
  });
  return { node, senderUrl: url, receiverUrl: url, peerUrls: [url], linked: () => all };
}

async function referenceLine(n: number, execArgv: string[]): Promise<Line> {
  const [senderPort, receiverPort, ...peerPorts] = await freePorts(n + 2);
  const listen = (id: string, port: number, secret: string): ReferenceAccountSpec => ({
    id,
    listen: { port, secret },
  });
  const node = Child.fork(
    'reference n1',
    'targets/reference.js',
    {
      ilpAddress: 'g.n1',
      accounts: [
        listen(SENDER.username, senderPort!, SENDER.token),
        listen(RECEIVER.username, receiverPort!, RECEIVER.token),
        ...peerPorts.map((port, i) => listen(`p${i}`, port, `t${i}`)),
      ],
      routes: [{ targetPrefix: 'g.receiver', peerId: RECEIVER.username }],
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
    } satisfies ReferenceOptions,
    execArgv,
  );
  return {
    node,
    senderUrl: `ws://127.0.0.1:${senderPort}`,
    receiverUrl: `ws://127.0.0.1:${receiverPort}`,
    peerUrls: peerPorts.map((p) => `ws://127.0.0.1:${p}`),
    linked: () => node.waitFor(isType('ready'), CONNECT_TIMEOUT_MS, 'ready'),
  };
}

function forkPeerClients(line: Line, n: number, batch: boolean): Child[] {
  const per = Math.ceil(n / CLIENT_PROCESSES);
  const clients: Child[] = [];
  for (let first = 0; first < n; first += per) {
    const count = Math.min(per, n - first);
    const urls = line.peerUrls.length === 1 ? line.peerUrls : line.peerUrls.slice(first, first + count);
    const options: SenderOptions = {
      urls,
      username: 'p',
      token: 't',
      inFlight: count,
      peers: count,
      firstPeer: first,
      dialConcurrency: count,
      batch,
    };
    clients.push(Child.fork(`peers ${first}-${first + count - 1}`, 'load/sender.js', options));
  }
  return clients;
}

async function peerScale(
  target: 'ours' | 'reference',
  n: number,
  settings: CellSettings,
  log: (l: string) => void,
): Promise<PeerScale> {
  const report: PeerScale = { target, peers: n };
  try {
    const line =
      target === 'ours'
        ? await ourLine(n, settings.nodeExecArgv('ours'))
        : await referenceLine(n, settings.nodeExecArgv('reference'));
    const receiver = Child.fork('receiver', 'load/receiver.js', {
      url: line.receiverUrl,
      ...RECEIVER,
      batch: settings.batch,
    } satisfies ReceiverOptions);
    const sender = Child.fork('sender', 'load/sender.js', {
      urls: [line.senderUrl],
      ...SENDER,
      inFlight: IDLE_SENDER_IN_FLIGHT,
      batch: settings.batch,
    } satisfies SenderOptions);
    await Promise.all(
      [receiver, sender].map((c) => c.waitFor(isType('authenticated'), STARTUP_TIMEOUT_MS, 'auth')),
    );
    report.rssBeforeMb = memoryMb(line.node.pid).rssMb;

    const startedAt = performance.now();
    const clients = forkPeerClients(line, n, settings.batch);
    const auths = await Promise.all(
      clients.map((c) => c.waitFor(isType('authenticated'), CONNECT_TIMEOUT_MS, 'peers auth')),
    );
    report.handshakeMs = performance.now() - startedAt;
    report.clientDialMs = Math.max(...auths.map((a) => a.elapsedMs));
    await line.linked();
    report.rssConnectedMb = memoryMb(line.node.pid).rssMb;
    log(
      `scale ${target}: ${n} peers authenticated in ${report.handshakeMs.toFixed(0)} ms, RSS ${report.rssBeforeMb.toFixed(0)} -> ${report.rssConnectedMb.toFixed(0)} MB`,
    );

    // Every process we started is measured, so that `other` is only what else ran on the machine.
    const idle = await runWindow([sender], [line.node, sender, receiver, ...clients], settings);
    report.idlePeers = {
      load: idle.results[0]!,
      node: idle.stats[0]!,
      clientsCpuPct: idle.stats.slice(1).reduce((sum, c) => sum + c.cpuPct, 0),
      otherCpuPct: idle.otherCpuPct,
    };
    log(
      `scale ${target}: 1 sender x ${IDLE_SENDER_IN_FLIGHT} in flight beside ${n} idle peers: ${idle.results[0]!.packetsPerSec.toFixed(0)} pkt/s`,
    );
    await sender.stop();

    const all = await runWindow(clients, [line.node, receiver, ...clients], settings);
    report.allSending = {
      packetsPerSec: all.results.reduce((s, r) => s + r.packetsPerSec, 0),
      p50Ms: median(all.results.map((r) => r.p50Ms)),
      p99Ms: Math.max(...all.results.map((r) => r.p99Ms)),
      rejected: all.results.reduce((s, r) => s + r.rejected + r.errors, 0),
      node: all.stats[0]!,
      clientsCpuPct: all.stats.slice(1).reduce((sum, c) => sum + c.cpuPct, 0),
      otherCpuPct: all.otherCpuPct,
    };
    log(`scale ${target}: ${n} peers sending at once: ${report.allSending.packetsPerSec.toFixed(0)} pkt/s`);
  } catch (err) {
    report.error = err instanceof Error ? err.message : String(err);
    log(`scale ${target}: FAILED: ${report.error.split('\n')[0]}`);
  } finally {
    await stopAll();
  }
  return report;
}

export async function runScale(
  opts: BenchOptions,
  settings: CellSettings,
  log: (l: string) => void,
): Promise<ScaleReport> {
  const peers: PeerScale[] = [];
  const targets = (['ours', 'reference'] as const).filter((t) => opts.targets.includes(t));
  for (let round = 1; round <= opts.rounds; round++) {
    // Alternate which target goes first, as the matrix does.
    const order = round % 2 === 1 ? targets : [...targets].reverse();
    for (const target of order) peers.push(await peerScale(target, opts.scalePeers, settings, log));
  }
  const routes: CellResult[] = [];
  if (opts.targets.includes('ours')) {
    for (let round = 1; round <= opts.rounds; round++) {
      for (const total of ROUTE_TOTALS) {
        const extraRoutes = total - BASE_ROUTES;
        const spec = { target: 'ours' as const, hops: 1, inFlight: IDLE_SENDER_IN_FLIGHT, extraRoutes };
        const r = await runCell(spec, round, settings);
        routes.push(r);
        const outcome =
          r.load === undefined ? `FAILED ${r.error}` : `${r.load.packetsPerSec.toFixed(0)} pkt/s`;
        log(
          `scale routes: round ${round}, ours with ${total} routes: ${outcome}, other CPU ${r.otherCpuPct?.toFixed(0)}%`,
        );
      }
    }
  }
  return { peers, routes };
}
