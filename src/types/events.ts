/**
 * The node's event stream as the Explorer stores and serves it (`GET /api/events`, `WS /ws`):
 * one JSON-safe shape for every kind of event. Amounts are decimal strings, binary values hex.
 * Types only.
 */

/**
 * Packet events: one per packet at its outcome (a Prepare that was forwarded or delivered and
 * then fulfilled or rejected); `packet.transit` is a per-hop notification sent. Above the
 * recorder's rate (1,000 packets/s by default) packets are sampled: every outcome is still
 * counted in /api/stats, only some are stored as events.
 */
export const PACKET_EVENT_TYPES = ['packet.fulfilled', 'packet.rejected', 'packet.transit'] as const;

export const NODE_EVENT_TYPES = [
  ...PACKET_EVENT_TYPES,
  'peer.connected',
  'peer.disconnected',
  'peer.added',
  'peer.removed',
  'route.added',
  'route.removed',
  'address.changed',
  'balance.changed',
  'claim.sent',
  'claim.acknowledged',
  'claim.rejected',
  'claim.received',
  'claim.refused',
  'claim.redeemed',
  'channel.opened',
  'channel.topped-up',
  'channel.closing',
  'channel.settled',
  'settlement.error',
  'chain.ready',
  'x402.settled',
  'x402.settle-failed',
  'x402.paid',
] as const;

export type NodeEventType = (typeof NODE_EVENT_TYPES)[number];

/** Where a packet went relative to this node. */
export type PacketDirection = 'incoming' | 'outgoing';

export interface NodeEvent {
  /** Monotonic per node (the store's row id); 0 until stored. */
  id: number;
  /** Milliseconds since the epoch. */
  ts: number;
  type: NodeEventType;
  /** The peer concerned: a packet's source (incoming) or next hop (outgoing); a channel's peer. */
  peerId?: string;
  direction?: PacketDirection;
  /** A packet's execution condition, hex: the same packet has the same id on every hop. */
  packetId?: string;
  /** ILP reject code (packets), or a claim refusal's reason. */
  code?: string;
  /** Decimal string: a packet's amount as received; a claim's ILP amount; a balance. */
  amount?: string;
  destination?: string;
  latencyMs?: number;
  chain?: string;
  channelId?: string;
  txHash?: string;
  /** The rest, per type (a reject's message and triggeredBy, a packet's source and next hop, ...). */
  data?: Record<string, string | number | boolean | null>;
}
