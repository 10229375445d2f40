// The packet table: latest first, filtered in the page over what it keeps and, when a filter is
// set, over a search of the store too. At most MAX_ROWS rows in the DOM, one render per batch.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { describeError, getJson } from './api.js';
import { mergeEvents, useEventList } from './event-list.js';
import { PACKET_TYPES } from './event-types.js';
import { amount, clock, count, kind, ms, shortHex } from './format.js';
import { html } from './html.js';
import { PacketDetail, pathOf } from './packet-detail.js';

const MAX_KEPT = 2000;
const MAX_ROWS = 200;
const SEARCH_DEBOUNCE_MS = 300;
const NO_FILTER = Object.freeze({ type: '', peer: '', code: '', destination: '', packetId: '' });

function matches(e, f) {
  if (f.type && e.type !== `packet.${f.type}`) return false;
  if (f.peer && e.peerId !== f.peer && e.data?.from !== f.peer && e.data?.to !== f.peer) return false;
  if (f.code && (e.code ?? '').toUpperCase() !== f.code.toUpperCase()) return false;
  if (f.destination && !(e.destination ?? '').toLowerCase().includes(f.destination.toLowerCase())) return false;
  if (f.packetId && !(e.packetId ?? '').startsWith(f.packetId.toLowerCase().replace(/^0x/, ''))) return false;
  return true;
}

const isActive = (f) => Object.values(f).some((v) => v !== '');

/** The store's side of a filter (it has no substring search: a packet id only when complete). */
function useSearch(filter) {
  const [found, setFound] = useState({ events: [], total: null, exact: true, error: undefined });
  useEffect(() => {
    if (!isActive(filter)) {
      setFound({ events: [], total: null, exact: true, error: undefined });
      return undefined;
    }
    const controller = new AbortController();
    const timer = setTimeout(async () => {
      const types = filter.type ? `packet.${filter.type}` : PACKET_TYPES.join(',');
      const id = filter.packetId.toLowerCase().replace(/^0x/, '');
      const packetId = /^[0-9a-f]{64}$/.test(id) ? id : '';
      // The store refuses a malformed parameter (400): a partial code stays a filter of the page.
      const code = /^[A-Za-z0-9._:-]{1,128}$/.test(filter.code) ? filter.code.toUpperCase() : '';
      const params = { types, peerId: filter.peer, code, packetId, limit: MAX_ROWS };
      try {
        const page = await getJson('api/events', params, controller.signal);
        // The store counts a filter's matches up to a bound: beyond it, "10,000+".
        setFound({ events: page.events, total: page.total, exact: page.totalExact !== false, error: undefined });
      } catch (error) {
        if (!controller.signal.aborted) setFound({ events: [], total: null, exact: true, error });
      }
    }, SEARCH_DEBOUNCE_MS);
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [filter]);
  return found;
}

function Filters({ filter, setFilter, peers, codes }) {
  const set = (name) => (event) => setFilter({ ...filter, [name]: event.currentTarget.value.trim() });
  return html`<form class="filters" data-testid="packet-filters" onSubmit=${(e) => e.preventDefault()}>
    <select id="filter-type" data-testid="filter-type" value=${filter.type} onChange=${set('type')}>
      <option value="">all outcomes</option>
      <option value="fulfilled">fulfilled</option>
      <option value="rejected">rejected</option>
      <option value="transit">transit</option>
    </select>
    <select id="filter-peer" data-testid="filter-peer" value=${filter.peer} onChange=${set('peer')}>
      <option value="">all peers</option>
      ${peers.map((p) => html`<option key=${p} value=${p}>${p}</option>`)}
    </select>
    <input id="filter-code" data-testid="filter-code" list="codes-seen" placeholder="code (F02)" size="8"
      value=${filter.code} onInput=${set('code')} />
    <datalist id="codes-seen">${codes.map((c) => html`<option key=${c} value=${c} />`)}</datalist>
    <input id="filter-destination" data-testid="filter-destination" placeholder="destination contains…"
      value=${filter.destination} onInput=${set('destination')} />
    <input id="filter-packet-id" data-testid="filter-packet-id" placeholder="packet id starts with…" class="mono"
      value=${filter.packetId} onInput=${set('packetId')} />
    ${isActive(filter) ? html`<button type="button" data-testid="filter-clear" onClick=${() => setFilter(NO_FILTER)}>clear</button>` : ''}
  </form>`;
}

function PacketRow({ event, selected, onSelect }) {
  const path = pathOf(event);
  const outcome = kind(event.type);
  return html`<tr data-testid="packet-row" data-type=${outcome} data-packet-id=${event.packetId}
      data-code=${event.code ?? ''} class=${selected ? 'selected' : ''} onClick=${() => onSelect(event)}>
    <td class="mono muted">${clock(event.ts)}</td>
    <td><span class=${`badge ${outcome}`}>${outcome}</span>${event.code ? html` <span class="code">${event.code}</span>` : ''}</td>
    <td class="path">${path.from} <span class="muted">→</span> ${path.to ?? html`<span class="muted">—</span>`}</td>
    <td class="mono ellipsis" title=${event.destination}>${event.destination}</td>
    <td class="num">${amount(event.amount)}</td>
    <td class="num">${ms(event.latencyMs)}</td>
    <td class="mono muted" title=${event.packetId}>${shortHex(event.packetId, 5)}</td>
  </tr>`;
}

export function PacketsPanel({ feed, peerIds }) {
  const live = useEventList(feed, { types: PACKET_TYPES, max: MAX_KEPT, historyLimit: MAX_ROWS });
  const [filter, setFilter] = useState(NO_FILTER);
  const [selected, setSelected] = useState(null);
  const [paused, setPaused] = useState(false);
  const frozen = useRef(null);
  const found = useSearch(filter);

  const source = paused ? (frozen.current ?? live.events) : live.events;
  const rows = useMemo(() => {
    const pool = isActive(filter) ? mergeEvents(source, found.events, MAX_KEPT + MAX_ROWS) : source;
    const out = [];
    for (const e of pool) {
      if (matches(e, filter)) out.push(e);
      if (out.length === MAX_ROWS) break;
    }
    return out;
  }, [source, found, filter]);
  const codes = useMemo(() => [...new Set(live.events.map((e) => e.code).filter(Boolean))].sort(), [live.events]);
  const peers = useMemo(
    () => [...new Set([...peerIds, ...live.events.map((e) => e.peerId).filter(Boolean)])].sort(),
    [peerIds, live.events],
  );
  const togglePause = () => {
    frozen.current = paused ? null : live.events;
    setPaused(!paused);
  };
  const error = live.error ?? found.error;

  return html`<section class="panel packets" id="packets" data-testid="packets">
    <div class="panel-head">
      <h2>Packets</h2>
      <span class="muted" data-testid="packet-count" data-shown=${rows.length} data-kept=${live.events.length}>
        ${count(rows.length)} shown · ${count(live.events.length)} kept in the page${
          found.total !== null ? ` · ${count(found.total)}${found.exact ? '' : '+'} in the store` : ''
        }
      </span>
      <button type="button" data-testid="packets-pause" class=${paused ? 'on' : ''} onClick=${togglePause}>
        ${paused ? 'resume' : 'pause'}
      </button>
    </div>
    <${Filters} filter=${filter} setFilter=${setFilter} peers=${peers} codes=${codes} />
    ${error ? html`<div class="error" data-testid="packets-error">${describeError(error)}</div>` : ''}
    <div class="packets-body">
      <div class="table-wrap">
        <table id="packet-table" data-testid="packet-table" data-batches=${live.batches}>
          <thead><tr><th>time</th><th>outcome</th><th>from → to</th><th>destination</th>
            <th class="num">amount</th><th class="num">latency</th><th>packet</th></tr></thead>
          <tbody>
            ${rows.map((e) => html`<${PacketRow} key=${`${e.id}|${e.ts}|${e.packetId}`} event=${e}
              selected=${selected !== null && selected.id === e.id && selected.packetId === e.packetId} onSelect=${setSelected} />`)}
          </tbody>
        </table>
        ${rows.length === 0 ? html`<div class="empty" data-testid="packets-empty">${isActive(filter) ? 'no packet matches' : 'no packets yet'}</div>` : ''}
      </div>
      <${PacketDetail} event=${selected} onClose=${() => setSelected(null)} />
    </div>
  </section>`;
}
