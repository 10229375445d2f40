// The top bar: who this node is, whether its event store is healthy, whether the feed is live.
import { useEffect, useState } from 'preact/hooks';
import { describeError } from './api.js';
import { bytes, count, duration, shortHex } from './format.js';
import { html } from './html.js';

function useNow(intervalMs) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

function Identity({ node, error }) {
  if (!node) {
    return html`<div class="identity" data-testid="node-identity">
      <h1>Explorer</h1>
      <span class="muted">${error ? describeError(error) : 'loading…'}</span>
    </div>`;
  }
  const addresses = node.settlementAddresses ?? [];
  return html`<div class="identity" data-testid="node-identity">
    <h1 id="node-id" data-testid="node-id">${node.nodeId}</h1>
    <dl class="facts">
      <div><dt>ILP address</dt><dd class="mono" data-testid="ilp-address">${node.ilpAddress}</dd></div>
      ${addresses.map(
        (a) => html`<div key=${`${a.chain}:${a.address}`}>
          <dt>${a.chain} <span class="muted">#${a.chainId}</span></dt>
          <dd class="mono" title=${a.address} data-testid="settlement-address">${shortHex(a.address, 6)}</dd>
        </div>`,
      )}
      <div><dt>keys</dt><dd data-testid="key-backend">${node.keyBackend ?? 'none'}</dd></div>
      <div><dt>version</dt><dd data-testid="node-version">${node.version}</dd></div>
    </dl>
  </div>`;
}

function Uptime({ startedAtMs }) {
  const now = useNow(1000);
  return html`<span class="muted" data-testid="uptime">up ${duration(now - startedAtMs)}</span>`;
}

function StoreHealth({ health, error }) {
  if (error && !health) {
    return html`<div class="pill bad" data-testid="store-health" data-state="unreachable">API unreachable</div>`;
  }
  if (!health) return html`<div class="pill" data-testid="store-health" data-state="loading">store …</div>`;
  const store = health.store ?? {};
  const ok = health.status === 'ok' && !error;
  const title = [
    `store ${store.state} at ${store.path}`,
    store.error ? `error: ${store.error}` : '',
    `${count(health.dropped)} events dropped, ${count(health.sampled)} packets sampled out`,
  ]
    .filter(Boolean)
    .join('\n');
  return html`<div class=${`pill ${ok ? 'good' : 'bad'}`} data-testid="store-health" data-state=${health.status} title=${title}>
    <span class="dot"></span>
    store ${store.state} · ${count(store.events)} events · ${bytes(store.sizeBytes)}
    ${health.dropped > 0 ? html` · <b>${count(health.dropped)} dropped</b>` : ''}
  </div>`;
}

function FeedState({ status }) {
  const now = useNow(500);
  const { state, retryAtMs } = status;
  const label =
    state === 'live'
      ? 'live'
      : state === 'connecting'
        ? 'connecting…'
        : retryAtMs
          ? `reconnecting in ${Math.max(0, Math.ceil((retryAtMs - now) / 1000))}s`
          : 'reconnecting…';
  return html`<div class=${`pill ${state === 'live' ? 'good' : 'warn'}`} id="ws-state" data-testid="ws-state" data-state=${state}>
    <span class="dot"></span>${label}
  </div>`;
}

export function Header({ node, nodeError, health, healthError, feedStatus }) {
  return html`<header class="top">
    <${Identity} node=${node} error=${nodeError} />
    <div class="status">
      ${node ? html`<${Uptime} startedAtMs=${node.startedAtMs} />` : ''}
      <${StoreHealth} health=${health} error=${healthError} />
      <${FeedState} status=${feedStatus} />
    </div>
  </header>`;
}
