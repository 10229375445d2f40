// Everything that is not a packet: links up and down, routes, addresses, balances, settlement.
import { useState } from 'preact/hooks';
import { describeError } from './api.js';
import { useEventList } from './event-list.js';
import { LOG_TYPES } from './event-types.js';
import { amount, clock, plural } from './format.js';
import { html } from './html.js';

const MAX_LOG = 200;
const TONE = {
  'peer.connected': 'good',
  'peer.disconnected': 'bad',
  'claim.rejected': 'bad',
  'claim.refused': 'bad',
  'settlement.error': 'bad',
  'x402.settle-failed': 'bad',
};

/** The event's own fields a person reads first, then whatever `data` carries. */
function summary(e) {
  const parts = [];
  if (e.destination) parts.push(e.destination);
  if (e.amount) parts.push(amount(e.amount));
  if (e.code) parts.push(e.code);
  if (e.chain) parts.push(e.chain);
  for (const [name, value] of Object.entries(e.data ?? {})) {
    if (value !== null && value !== '') parts.push(`${name} ${value}`);
  }
  return parts.join(' · ');
}

export function EventsLog({ feed }) {
  const log = useEventList(feed, { types: LOG_TYPES, max: MAX_LOG, historyLimit: 100 });
  const [hideBalances, setHideBalances] = useState(true);
  const shown = hideBalances ? log.events.filter((e) => e.type !== 'balance.changed') : log.events;
  return html`<section class="panel" id="events" data-testid="events-log">
    <div class="panel-head">
      <h2>Events</h2>
      <span class="muted" data-testid="events-count">${plural(shown.length, 'event')}</span>
      <label class="small"><input type="checkbox" checked=${!hideBalances}
        onChange=${(ev) => setHideBalances(!ev.currentTarget.checked)} /> balance changes</label>
    </div>
    ${log.error ? html`<div class="error">${describeError(log.error)}</div>` : ''}
    <ul class="log">
      ${shown.map(
        (e) => html`<li key=${`${e.id}|${e.ts}|${e.type}`} data-testid="event-item" data-type=${e.type}>
          <span class="mono muted small">${clock(e.ts)}</span>
          <span class=${`badge ${TONE[e.type] ?? ''}`}>${e.type}</span>
          <b>${e.peerId ?? ''}</b>
          <span class="muted small">${summary(e)}</span>
        </li>`,
      )}
    </ul>
    ${shown.length === 0 ? html`<div class="empty">no events yet</div>` : ''}
  </section>`;
}
