/**
 * Allocation probe, installed in a node process by `ours.ts --allocProbe`: between an
 * `alloc-start` and an `alloc-stop` message it counts every byte the process allocates on the
 * JS heap, and optionally samples where.
 *
 * Total: exact, from v8.GCProfiler. Every GC reports the heap's used size before and after it,
 * so bytes allocated = used(end) - used(start) + the sum over GCs of (before - after). What was
 * freed was allocated in the window or before it; over a window of tens of thousands of packets
 * in a steady state the difference is noise (checked: 1e6 `{a, b}` objects measure 40.0 bytes
 * each). Buffers' backing stores live outside the JS heap and are not counted.
 *
 * Sites: V8's sampling heap profiler through node:inspector, keeping samples of objects that
 * died young (includeObjectsCollectedByMinorGC): a statistical estimate, one sample per
 * `samplingIntervalBytes` on average, scaled by V8 to bytes.
 */
import { Session } from 'node:inspector';
import { GCProfiler, getHeapStatistics } from 'node:v8';
import type { AllocCommand, AllocReport, AllocSite } from '../harness/messages.js';
import { tell } from '../harness/messages.js';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface SamplingNode {
  callFrame: CallFrame;
  selfSize: number;
  children: SamplingNode[];
}

const TOP_SITES = 25;

/** Our compiled code: frames from here are "ours" in the attributed view. */
const OWN_CODE = '/dist/src/';

export function installAllocProbe(): void {
  let gc: GCProfiler | undefined;
  let usedAtStart = 0;
  let session: Session | undefined;
  process.on('message', (command: AllocCommand) => {
    if (command.type === 'alloc-start') {
      if (command.samplingIntervalBytes > 0) session = startSampling(command.samplingIntervalBytes);
      gc = new GCProfiler();
      usedAtStart = getHeapStatistics().used_heap_size;
      gc.start();
      tell({ type: 'alloc-started', round: command.round });
    } else if (command.type === 'alloc-stop' && gc !== undefined) {
      const usedAtEnd = getHeapStatistics().used_heap_size;
      const report = gcReport(gc, usedAtEnd - usedAtStart);
      gc = undefined;
      const { round } = command;
      const done = (sites: { self: AllocSite[]; ours: AllocSite[]; sampled: number }) =>
        tell({ type: 'alloc-report', round, report: { ...report, ...sites } });
      if (session === undefined) done({ self: [], ours: [], sampled: 0 });
      else stopSampling(session, done);
      session = undefined;
    }
  });
}

function gcReport(gc: GCProfiler, usedGrowth: number): Omit<AllocReport, 'self' | 'ours' | 'sampled'> {
  const result = gc.stop();
  let freed = 0;
  let scavenges = 0;
  let markCompacts = 0;
  let gcUs = 0;
  for (const s of result?.statistics ?? []) {
    freed += s.beforeGC.heapStatistics.usedHeapSize - s.afterGC.heapStatistics.usedHeapSize;
    if (s.gcType === 'Scavenge') scavenges++;
    if (s.gcType === 'MarkSweepCompact') markCompacts++;
    gcUs += s.cost;
  }
  return { heapBytes: usedGrowth + freed, scavenges, markCompacts, gcMs: gcUs / 1000 };
}

function startSampling(samplingInterval: number): Session {
  const session = new Session();
  session.connect();
  session.post('HeapProfiler.startSampling', {
    samplingInterval,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  return session;
}

function stopSampling(
  session: Session,
  done: (sites: { self: AllocSite[]; ours: AllocSite[]; sampled: number }) => void,
): void {
  session.post('HeapProfiler.stopSampling', (err, result) => {
    session.disconnect();
    if (err !== null) throw err;
    const head = (result as unknown as { profile: { head: SamplingNode } }).profile.head;
    const self = new Map<string, number>();
    const ours = new Map<string, number>();
    let sampled = 0;
    walk(head, undefined, (node, own) => {
      if (node.selfSize === 0) return;
      sampled += node.selfSize;
      add(self, siteOf(node.callFrame), node.selfSize);
      add(ours, own === undefined ? '(no frame of ours)' : siteOf(own), node.selfSize);
    });
    done({ self: top(self), ours: top(ours), sampled });
  });
}

/** Depth-first, passing down the innermost frame of our own code seen so far. */
function walk(
  node: SamplingNode,
  own: CallFrame | undefined,
  visit: (node: SamplingNode, own: CallFrame | undefined) => void,
): void {
  const frame = node.callFrame.url.includes(OWN_CODE) ? node.callFrame : own;
  visit(node, frame);
  for (const child of node.children) walk(child, frame, visit);
}

function siteOf(frame: CallFrame): string {
  const file = frame.url.replace(/^.*\/(dist|node_modules)\//, '').replace(/^node:/, 'node:');
  const name = frame.functionName === '' ? '(anonymous)' : frame.functionName;
  return file === '' ? name : `${name} ${file}:${frame.lineNumber + 1}`;
}

function add(map: Map<string, number>, key: string, bytes: number): void {
  map.set(key, (map.get(key) ?? 0) + bytes);
}

function top(map: Map<string, number>): AllocSite[] {
  return [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, TOP_SITES)
    .map(([site, bytes]) => ({ site, bytes }));
}
