// The detail of one packet: everything its event carries, laid out for a person.
import { amount, dateTime, ms, kind } from './format.js';
import { html } from './html.js';

export const pathOf = (e) => ({
  from: e.data?.from ?? (e.direction === 'incoming' ? e.peerId : null) ?? 'this node',
  // null: the packet went nowhere (rejected here, e.g. no route).
  to: e.data?.to ?? (e.direction === 'outgoing' ? e.peerId : null) ?? null,
});

const hopName = (hop) => (hop === 'local' ? 'this node (local)' : (hop ?? 'not forwarded'));

function Field({ label, id, children, mono }) {
  return html`<div class="field">
    <dt>${label}</dt>
    <dd class=${mono ? 'mono wrap' : ''} data-testid=${id}>${children ?? '—'}</dd>
  </div>`;
}

export function PacketDetail({ event, onClose }) {
  if (!event) return null;
  const data = event.data ?? {};
  const path = pathOf(event);
  const rejected = event.type === 'packet.rejected';
  return html`<aside class="detail" id="packet-detail" data-testid="packet-detail" data-packet-id=${event.packetId}>
    <div class="detail-head">
      <h3>
        <span class=${`badge ${kind(event.type)}`}>${kind(event.type)}</span>
        ${rejected ? html` <span class="code" data-testid="detail-code">${event.code}</span>` : ''}
      </h3>
      <button type="button" class="close" data-testid="detail-close" onClick=${onClose} title="close">×</button>
    </div>
    <dl>
      <${Field} label="packet id (condition)" id="detail-packet-id" mono>${event.packetId}<//>
      ${
        data.fulfillment
          ? html`<${Field} label="fulfillment" id="detail-fulfillment" mono>${data.fulfillment}<//>`
          : ''
      }
      <${Field} label="path" id="detail-path">${hopName(path.from)} → ${hopName(path.to)}<//>
      <${Field} label="destination" id="detail-destination" mono>${event.destination}<//>
      <${Field} label="amount in" id="detail-amount-in">${amount(event.amount)}<//>
      <${Field} label="amount out" id="detail-amount-out">${amount(data.amountOut)}<//>
      <${Field} label="time" id="detail-time">${dateTime(event.ts)}<//>
      <${Field} label="expiry" id="detail-expiry">${typeof data.expiresAt === 'number' ? dateTime(data.expiresAt) : '—'}<//>
      <${Field} label="latency" id="detail-latency">${ms(event.latencyMs)}<//>
      ${
        rejected
          ? html`<${Field} label="reject code" id="detail-reject-code">${event.code}<//>
              <${Field} label="message" id="detail-message">${data.message || '—'}<//>
              <${Field} label="triggered by" id="detail-triggered-by" mono>${data.triggeredBy || '—'}<//>`
          : ''
      }
      <${Field} label="event id" id="detail-event-id">${event.id}<//>
    </dl>
  </aside>`;
}
