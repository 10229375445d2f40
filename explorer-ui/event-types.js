// The event types each panel asks for (src/types/events.ts NODE_EVENT_TYPES). The store answers
// 400 to an unknown type, so test/explorer-ui/event-types.test.ts keeps these lists in step.

export const PACKET_TYPES = ['packet.fulfilled', 'packet.rejected', 'packet.transit'];

/** The channels panel's timeline: claims and on-chain steps. */
export const CHANNEL_TYPES = [
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
];

/** The events log: everything that is not a packet. */
export const LOG_TYPES = [
  'peer.connected',
  'peer.disconnected',
  'peer.added',
  'peer.removed',
  'route.added',
  'route.removed',
  'address.changed',
  'balance.changed',
  ...CHANNEL_TYPES,
  'chain.ready',
  'x402.settled',
  'x402.settle-failed',
  'x402.paid',
];
