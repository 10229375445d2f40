// Throughput and fulfil ratio over the last five minutes (uPlot), and the window's figures.
import { useEffect, useMemo, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import { count, ms, percent, rate } from './format.js';
import { html } from './html.js';

const COLORS = { fulfilled: '#1f9d55', rejected: '#d64545', ratio: '#3b6fd6' };
const CHART_HEIGHT_PX = 170;
const RATIO_WINDOW_S = 10;

/** One uPlot instance for the component's life; new data goes through setData, not a rebuild. */
function Chart({ id, options, data }) {
  const box = useRef(null);
  const plot = useRef(null);
  useEffect(() => {
    const element = box.current;
    plot.current = new uPlot({ ...options, width: element.clientWidth || 400, height: CHART_HEIGHT_PX }, data, element);
    const observer = new ResizeObserver(() => {
      plot.current?.setSize({ width: element.clientWidth, height: CHART_HEIGHT_PX });
    });
    observer.observe(element);
    return () => {
      observer.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, []);
  useEffect(() => {
    plot.current?.setData(data);
  }, [data]);
  return html`<div class="chart" id=${id} data-testid=${id} ref=${box}></div>`;
}

const pad2 = (n) => String(n).padStart(2, '0');
/** Ticks as local HH:MM (HH:MM:SS within a minute): uPlot's default adds a date that overlaps. */
function timeTicks(_u, ticks, _axis, _space, incr) {
  return ticks.map((t) => {
    const d = new Date(t * 1000);
    const hm = `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
    return incr < 60 ? `${hm}:${pad2(d.getSeconds())}` : hm;
  });
}

const axes = (yLabel, yValues) => [
  { stroke: '#6b7280', grid: { stroke: '#eef0f3' }, ticks: { stroke: '#e5e7eb' }, values: timeTicks, space: 70 },
  { label: yLabel, stroke: '#6b7280', grid: { stroke: '#eef0f3' }, ticks: { stroke: '#e5e7eb' }, size: 56, values: yValues },
];

const THROUGHPUT = {
  legend: { show: true },
  scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
  axes: axes('packets / s'),
  series: [
    {},
    { label: 'fulfilled', stroke: COLORS.fulfilled, fill: 'rgba(31,157,85,0.12)', width: 1.5 },
    { label: 'rejected', stroke: COLORS.rejected, fill: 'rgba(214,69,69,0.12)', width: 1.5 },
  ],
};

const RATIO = {
  legend: { show: true },
  scales: { x: { time: true }, y: { range: [0, 100] } },
  axes: axes('fulfilled %', (_u, ticks) => ticks.map((t) => `${t}%`)),
  series: [{}, { label: 'fulfil ratio', stroke: COLORS.ratio, width: 1.5, spanGaps: false, value: (_u, v) => (v === null ? '—' : `${v.toFixed(1)}%`) }],
};

function seriesOf(stats) {
  const points = stats?.series ?? [];
  const x = points.map((p) => p.ts / 1000);
  const fulfilled = points.map((p) => p.fulfilled);
  const rejected = points.map((p) => p.rejected);
  // Rolling over RATIO_WINDOW_S seconds: per second, a slow node's ratio is mostly gaps and 0/100 spikes.
  const ratio = points.map((_p, i) => {
    let ok = 0;
    let all = 0;
    for (let j = Math.max(0, i - RATIO_WINDOW_S + 1); j <= i; j += 1) {
      ok += points[j].fulfilled;
      all += points[j].fulfilled + points[j].rejected;
    }
    return all > 0 ? (100 * ok) / all : null;
  });
  return { throughput: [x, fulfilled, rejected], ratio: [x, ratio] };
}

function Figure({ id, label, value, tone }) {
  return html`<div class=${`figure ${tone ?? ''}`}>
    <div class="figure-value" data-testid=${id}>${value}</div>
    <div class="figure-label">${label}</div>
  </div>`;
}

function RejectCodes({ byCode }) {
  const entries = Object.entries(byCode ?? {}).sort((a, b) => b[1] - a[1]);
  if (entries.length === 0) return html`<div class="codes muted" data-testid="rejects-by-code">no rejects</div>`;
  return html`<div class="codes" data-testid="rejects-by-code">
    ${entries.map(([code, n]) => html`<span class="code-chip" key=${code} data-code=${code}><b>${code}</b> ${count(n)}</span>`)}
  </div>`;
}

export function Charts({ stats, error }) {
  const data = useMemo(() => seriesOf(stats), [stats]);
  return html`<section class="panel" id="stats" data-testid="stats">
    <div class="panel-head">
      <h2>Traffic</h2>
      <span class="muted">${stats ? `last ${stats.windowSeconds} s` : ''}${error ? ' · stats unavailable' : ''}</span>
    </div>
    <div class="figures">
      <${Figure} id="packets-per-second" label="packets / s" value=${rate(stats?.packetsPerSecond)} />
      <${Figure} id="fulfilled-count" label="fulfilled" value=${count(stats?.fulfilled)} tone="good" />
      <${Figure} id="rejected-count" label="rejected" value=${count(stats?.rejected)} tone=${stats?.rejected ? 'bad' : ''} />
      <${Figure} id="fulfill-ratio" label="fulfil ratio" value=${percent(stats?.fulfillRatio)} />
      <${Figure} id="latency-p50" label="p50 latency" value=${ms(stats?.latencyMs?.p50)} />
      <${Figure} id="latency-p99" label="p99 latency" value=${ms(stats?.latencyMs?.p99)} />
    </div>
    <${RejectCodes} byCode=${stats?.rejectsByCode} />
    <div class="charts">
      <div><h3>Throughput</h3><${Chart} id="chart-throughput" options=${THROUGHPUT} data=${data.throughput} /></div>
      <div><h3>Fulfil ratio <span class="muted small">(${RATIO_WINDOW_S} s rolling)</span></h3><${Chart} id="chart-ratio" options=${RATIO} data=${data.ratio} /></div>
    </div>
  </section>`;
}
