// Payment channels per peer and chain, and the timeline of their claims and on-chain steps.
import { useMemo, useState } from 'preact/hooks';
import { describeError } from './api.js';
import { useEventList } from './event-list.js';
import { CHANNEL_TYPES } from './event-types.js';
import { amount, dateTime, plural, shortHex } from './format.js';
import { html } from './html.js';

const MAX_TIMELINE = 200;

/** A link to the chain's block explorer when the node knows one, else the plain short value. */
function ChainLink({ base, kind, value, testid }) {
  if (!value) return html`<span class="muted">—</span>`;
  const text = shortHex(value, 6);
  if (!base) return html`<span class="mono" title=${value} data-testid=${testid}>${text}</span>`;
  const href = `${base.replace(/\/+$/, '')}/${kind}/${value}`;
  return html`<a class="mono" href=${href} target="_blank" rel="noopener noreferrer" title=${value} data-testid=${testid}>${text}</a>`;
}

function settleable(seconds) {
  const s = Number(seconds ?? 0);
  return s > 0 ? dateTime(s * 1000) : '—';
}

function ChannelRow({ c, selected, onSelect }) {
  const incoming = c.direction === 'incoming';
  return html`<tr data-testid="channel-row" data-channel-id=${c.channelId} data-peer-id=${c.peerId} data-status=${c.status}
      class=${selected ? 'selected' : ''} onClick=${() => onSelect(selected ? null : c.channelId)}>
    <td><b>${c.peerId}</b> <span class="muted">${c.chain}</span></td>
    <td><span class=${`tag ${c.direction}`}>${incoming ? '← incoming' : '→ outgoing'}</span></td>
    <td>
      <span class="mono" title=${c.channelId} data-testid="channel-id">${shortHex(c.channelId, 6)}</span>
      <span class="small muted"> on <${ChainLink} base=${c.explorerUrl} kind="address" value=${c.tokenNetwork} testid="channel-contract" /></span>
    </td>
    <td class="num" data-testid="channel-deposit">${amount(c.deposit)}</td>
    <td class="num" data-testid="channel-claimed">${amount(c.transferred)} <span class="muted small">#${c.nonce}</span></td>
    <td class="num" data-testid="channel-redeemed">${incoming ? amount(c.redeemed ?? '0') : '—'}</td>
    <td><span class=${`tag status-${c.status}`} data-testid="channel-status">${c.status}</span></td>
    <td class="small">${settleable(c.settleableAt)}</td>
  </tr>`;
}

/**
 * A claim sent or received carries its ILP amount and, in `data.tokenAmount`, the tokens it adds;
 * the table and the other steps (deposits, redemptions) count token base units.
 */
function TimelineAmount({ e }) {
  if (!e.amount) return '';
  const tokens = e.data?.tokenAmount;
  if (tokens === undefined || tokens === null) {
    return html`<span class="num" data-testid="timeline-amount">${amount(e.amount)}</span>`;
  }
  return html`<span class="num" data-testid="timeline-amount">${amount(e.amount)} <span class="muted small">ILP</span></span>
    <span class="num muted small" data-testid="timeline-tokens">(${amount(tokens)})</span>`;
}

function TimelineItem({ e, explorerUrls }) {
  // Claim events name their channel, not always its chain: the channel's row knows both.
  const base = explorerUrls.get(e.chain) ?? explorerUrls.get(e.channelId);
  const failed = e.type === 'claim.rejected' || e.type === 'claim.refused' || e.type === 'settlement.error';
  return html`<li data-testid="timeline-item" data-type=${e.type} class=${failed ? 'bad' : ''}>
    <span class="mono muted small">${dateTime(e.ts)}</span>
    <span class=${`badge ${e.type.replace('.', '-')}`}>${e.type}</span>
    <span>${e.peerId ?? ''}</span>
    <${TimelineAmount} e=${e} />
    ${e.code ? html`<span class="code">${e.code}</span>` : ''}
    ${e.channelId ? html`<span class="mono muted small" title=${e.channelId}>${shortHex(e.channelId, 4)}</span>` : ''}
    ${e.txHash ? html`<span>tx <${ChainLink} base=${base} kind="tx" value=${e.txHash} testid="timeline-tx" /></span>` : ''}
    ${e.data?.message ? html`<span class="muted small">${e.data.message}</span>` : ''}
  </li>`;
}

const byPeerAndChain = (a, b) =>
  a.peerId.localeCompare(b.peerId) || a.chain.localeCompare(b.chain) || a.direction.localeCompare(b.direction);

export function ChannelsPanel({ feed, channels, error }) {
  const timeline = useEventList(feed, { types: CHANNEL_TYPES, max: MAX_TIMELINE, historyLimit: 100 });
  const [selected, setSelected] = useState(null);
  const list = useMemo(() => [...(channels?.channels ?? [])].sort(byPeerAndChain), [channels]);
  const explorerUrls = useMemo(
    () => new Map(list.filter((c) => c.explorerUrl).flatMap((c) => [[c.chain, c.explorerUrl], [c.channelId, c.explorerUrl]])),
    [list],
  );
  const shown = selected ? timeline.events.filter((e) => e.channelId === selected) : timeline.events;
  return html`<section class="panel" id="channels" data-testid="channels">
    <div class="panel-head">
      <h2>Channels</h2>
      <span class="muted" data-testid="channels-count">${plural(list.length, 'channel')}</span>
      <span class="muted small" data-testid="channels-units">amounts in token base units, claims also in ILP</span>
    </div>
    ${error ? html`<div class="error">${describeError(error)}</div>` : ''}
    ${
      list.length === 0
        ? html`<div class="empty">${channels ? 'no channels (settlement off or none opened)' : 'loading…'}</div>`
        : html`<div class="table-wrap"><table data-testid="channel-table">
          <thead><tr><th>peer · chain</th><th>direction</th><th>channel</th><th class="num">deposit</th>
            <th class="num">claimed</th><th class="num">redeemed</th><th>state</th><th>settleable at</th></tr></thead>
          <tbody>${list.map((c) => html`<${ChannelRow} key=${`${c.chain}:${c.channelId}`} c=${c}
            selected=${selected === c.channelId} onSelect=${setSelected} />`)}</tbody>
        </table></div>`
    }
    <h3>Claims and channel steps ${selected ? html`<span class="muted small">(one channel · <a href="#" onClick=${(ev) => {
      ev.preventDefault();
      setSelected(null);
    }}>all</a>)</span>` : ''}</h3>
    ${timeline.error ? html`<div class="error">${describeError(timeline.error)}</div>` : ''}
    <ul class="timeline" data-testid="channel-timeline">
      ${shown.map((e) => html`<${TimelineItem} key=${`${e.id}|${e.ts}|${e.type}`} e=${e} explorerUrls=${explorerUrls} />`)}
    </ul>
    ${shown.length === 0 ? html`<div class="empty">no claims yet</div>` : ''}
  </section>`;
}
