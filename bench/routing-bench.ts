/**
 * Routing lookup speed with 10, 10k and 1M routes: our RoutingTable against the reference
 * ilp-connector's PrefixMap (the structure its routing table resolves next hops with). Not part
 * of the test run.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/routing-bench.js [--quick]
 *
 * Routes are hierarchical, as a connector's table is: `g.c<i mod 100>.n<i>`. A hit looks up a
 * 6-segment destination under one of them (`g.c7.n1234.alice.~stream.<id>`), chosen at random
 * from 4,096 pre-built strings so that string building is not measured; a miss looks up a
 * destination no route covers (there is no default route). Rounds alternate ours and reference,
 * after a warm-up, and the median round is reported. The reference inserts in O(n) per route
 * (a sorted array), so it is measured up to 10k routes only.
 */

import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { RoutingTable } from '../src/routing/index.js';

const quick = process.argv.includes('--quick');
const ROUND_MS = quick ? 100 : 300;
const ROUNDS = quick ? 3 : 7;
const WARMUP_MS = quick ? 200 : 500;
const SIZES = [10, 10_000, 1_000_000];
const REFERENCE_MAX_ROUTES = 10_000;
const DESTINATIONS = 4096;

interface PrefixMap {
  insert(prefix: string, item: unknown): unknown;
  resolve(key: string): unknown;
}
const require = createRequire(import.meta.url);
const { default: ReferencePrefixMap } = require('ilp-connector/dist/routing/prefix-map.js') as {
  default: new () => PrefixMap;
};

const prefixOf = (i: number) => `g.c${i % 100}.n${i}`;

/** Deterministic pseudo-random indexes (xorshift), so every run looks up the same strings. */
function indexes(count: number, below: number): number[] {
  let x = 2463534242;
  return Array.from({ length: count }, () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % below;
  });
}

function hits(size: number): string[] {
  return indexes(DESTINATIONS, size).map((i) => `${prefixOf(i)}.alice.~stream.${(i * 7919).toString(36)}`);
}

function misses(size: number): string[] {
  return indexes(DESTINATIONS, size).map((i) => `g.c${i % 100}.x${i}.bob.~stream.${i.toString(36)}`);
}

/** Runs lookups over `keys` for about `ms` ms; returns nanoseconds per lookup. */
function run(lookup: (key: string) => unknown, keys: string[], ms: number): number {
  let ops = 0;
  let found = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    for (let i = 0; i < keys.length; i++) if (lookup(keys[i]!) !== undefined) found++;
    ops += keys.length;
    elapsed = performance.now() - start;
  } while (elapsed < ms);
  if (found === -1) console.log(found); // keeps the results alive
  return (elapsed * 1e6) / ops;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function measure(lookups: Array<((key: string) => unknown) | undefined>, keys: string[]): number[] {
  const present = lookups.filter((l) => l !== undefined);
  for (const l of present) run(l, keys, WARMUP_MS);
  const rounds: number[][] = lookups.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    lookups.forEach((l, i) => {
      if (l !== undefined) rounds[i]!.push(run(l, keys, ROUND_MS));
    });
  }
  return rounds.map((r) => (r.length === 0 ? Number.NaN : median(r)));
}

function build(size: number): { ours: RoutingTable; reference: PrefixMap | undefined; buildMs: number } {
  const start = performance.now();
  const ours = new RoutingTable({ maxRoutes: size });
  for (let i = 0; i < size; i++) ours.addRoute(prefixOf(i), `peer${i % 50}`);
  const buildMs = performance.now() - start;
  let reference: PrefixMap | undefined;
  if (size <= REFERENCE_MAX_ROUTES) {
    reference = new ReferencePrefixMap();
    for (let i = 0; i < size; i++) reference.insert(prefixOf(i), { nextHop: `peer${i % 50}` });
  }
  return { ours, reference, buildMs };
}

const ns = (n: number) => (Number.isFinite(n) ? n.toFixed(n < 10 ? 1 : 0) : 'n/a');
const ratio = (a: number, b: number) =>
  Number.isFinite(a) && Number.isFinite(b) ? `${(b / a).toFixed(b / a < 10 ? 1 : 0)}x` : '-';

console.log(
  `node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores; ${ROUNDS} rounds of ${ROUND_MS} ms, median`,
);
console.log(
  '\n| routes | lookup | ours (ns) | reference PrefixMap (ns) | ours faster | ours: build ms, heap MB |',
);
console.log('|---:|---|---:|---:|---:|---:|');
for (const size of SIZES) {
  const heapBefore = process.memoryUsage().heapUsed;
  const { ours, reference, buildMs } = build(size);
  const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
  for (const [what, keys] of [
    ['hit (6 segments)', hits(size)],
    ['miss', misses(size)],
  ] as const) {
    const [o, r] = measure([(k) => ours.lookup(k), reference && ((k: string) => reference.resolve(k))], keys);
    console.log(
      `| ${size.toLocaleString('en-US')} | ${what} | ${ns(o!)} | ${ns(r!)} | ${ratio(o!, r!)} | ${buildMs.toFixed(0)}, ${heapMb.toFixed(0)} |`,
    );
  }
}
