/** /api/stats computed from the fixture's stored packet events, the shape of docs/explorer.md. */
import type { NodeEvent } from '../../src/types/index.js';

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? null;
}

export function statsOf(events: NodeEvent[], windowParam: number, nowMs: number) {
  const windowSeconds = Math.min(Math.max(Math.trunc(windowParam) || 60, 1), 300);
  const nowSecond = Math.floor(nowMs / 1000);
  const first = nowSecond - windowSeconds + 1;
  const series = Array.from({ length: windowSeconds }, (_, i) => ({
    ts: (first + i) * 1000,
    fulfilled: 0,
    rejected: 0,
  }));
  const rejectsByCode: Record<string, number> = {};
  const latencies: number[] = [];
  for (const e of events) {
    const point = series[Math.floor(e.ts / 1000) - first];
    if (point === undefined) continue;
    if (e.type === 'packet.fulfilled') point.fulfilled += 1;
    else if (e.type === 'packet.rejected') {
      point.rejected += 1;
      rejectsByCode[e.code ?? '?'] = (rejectsByCode[e.code ?? '?'] ?? 0) + 1;
    } else continue;
    if (e.latencyMs !== undefined) latencies.push(e.latencyMs);
  }
  const fulfilled = series.reduce((n, p) => n + p.fulfilled, 0);
  const rejected = series.reduce((n, p) => n + p.rejected, 0);
  latencies.sort((a, b) => a - b);
  return {
    windowSeconds,
    packetsPerSecond: (fulfilled + rejected) / windowSeconds,
    fulfilled,
    rejected,
    fulfillRatio: fulfilled + rejected === 0 ? null : fulfilled / (fulfilled + rejected),
    rejectsByCode,
    latencyMs: { p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99) },
    series,
  };
}
