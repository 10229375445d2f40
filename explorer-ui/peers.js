// Peers: link, relation, balance and how much of its credit limit the peer uses, routes.
import { describeError } from './api.js';
import { amount, plural } from './format.js';
import { html } from './html.js';

const big = (v) => {
  try {
    return BigInt(v ?? 0);
  } catch {
    return 0n;
  }
};

/**
 * What the peer owes us counting packets in flight, as the ledger bounds it against `maximum`
 * (debits posted + pending − credits posted, T04 above it).
 */
export function creditUse(balance, maximum) {
  const used = big(balance.debit) + big(balance.pendingDebit) - big(balance.credit);
  if (maximum === null || maximum === undefined) return { used, fraction: null };
  const max = big(maximum);
  if (max <= 0n) return { used, fraction: used > 0n ? 1 : 0 };
  const clamped = used < 0n ? 0n : used > max ? max : used;
  return { used, fraction: Number((clamped * 10_000n) / max) / 10_000 };
}

function BalanceBar({ balance, maximum }) {
  const { used, fraction } = creditUse(balance, maximum);
  if (fraction === null) return html`<div class="bar-caption muted">no credit limit</div>`;
  const tone = fraction >= 0.9 ? 'bad' : fraction >= 0.7 ? 'warn' : 'good';
  return html`<div class="bar" data-testid="peer-credit-bar" data-fraction=${fraction.toFixed(4)}
      title=${`owes us ${amount(used.toString())} incl. pending, of a ${amount(maximum)} limit`}>
      <div class=${`bar-fill ${tone}`} style=${`width:${(fraction * 100).toFixed(1)}%`}></div>
    </div>
    <div class="bar-caption muted">${(fraction * 100).toFixed(0)}% of ${amount(maximum)} limit</div>`;
}

/** net = credit − debit: positive, we owe the peer; negative, the peer owes us. */
function Net({ net }) {
  const value = big(net);
  const label = value > 0n ? 'we owe' : value < 0n ? 'owes us' : 'even';
  return html`<div class="net">
    <span class=${`num big ${value < 0n ? 'good' : value > 0n ? 'warn' : ''}`} data-testid="peer-net">${amount(net)}</span>
    <span class="muted"> ${label}</span>
  </div>`;
}

function PeerCard({ peer }) {
  const b = peer.balance;
  const pending = big(b.pendingDebit) !== 0n || big(b.pendingCredit) !== 0n;
  return html`<div class="card peer" data-testid="peer" data-peer-id=${peer.id} data-connected=${String(peer.connected)}>
    <div class="card-head">
      <span class=${`dot ${peer.connected ? 'good' : 'bad'}`} title=${peer.connected ? 'connected' : 'disconnected'}></span>
      <b data-testid="peer-id">${peer.id}</b>
      <span class="tag">${peer.relation}</span>
      <span class="muted small" data-testid="peer-link">${peer.connected ? 'connected' : 'disconnected'}</span>
    </div>
    ${peer.url ? html`<div class="mono muted small ellipsis" title=${peer.url}>${peer.url}</div>` : ''}
    <${Net} net=${b.net} />
    <div class="small" data-testid="peer-balance">
      debit ${amount(b.debit)} · credit ${amount(b.credit)}${
        pending ? ` · pending ${amount(b.pendingDebit)} / ${amount(b.pendingCredit)}` : ''
      }
    </div>
    <${BalanceBar} balance=${b} maximum=${peer.maximum} />
    ${peer.settleThreshold ? html`<div class="small muted">settles above ${amount(peer.settleThreshold)}</div>` : ''}
    <div class="routes small" data-testid="peer-routes">
      ${peer.routes.length === 0 && !peer.learnedRoutes ? html`<span class="muted">no routes</span>` : peer.routes.map((r) => html`<code key=${r}>${r}</code>`)}
      ${peer.learnedRoutes ? html`<span class="muted" data-testid="peer-learned-routes">+ ${peer.learnedRoutes} learned (CCP)</span>` : ''}
    </div>
  </div>`;
}

export function PeersPanel({ peers, error }) {
  const list = peers?.peers ?? [];
  const up = list.filter((p) => p.connected).length;
  return html`<section class="panel" id="peers" data-testid="peers">
    <div class="panel-head">
      <h2>Peers</h2>
      <span class="muted" data-testid="peers-count">${plural(list.length, 'peer')} · ${up} connected</span>
    </div>
    ${error ? html`<div class="error">${describeError(error)}</div>` : ''}
    <div class="cards">${list.map((p) => html`<${PeerCard} key=${p.id} peer=${p} />`)}</div>
    ${peers && list.length === 0 ? html`<div class="empty">no peers configured</div>` : ''}
  </section>`;
}
