/** Settlement's events (settlement/engine/types.ts) in the Explorer's shape (types/events.ts). */
import type { SettlementEvent } from '../../settlement/index.js';
import type { NodeEvent } from '../../types/index.js';

export type RecordedEvent = Omit<NodeEvent, 'id' | 'ts'>;

export function fromSettlementEvent(e: SettlementEvent): RecordedEvent {
  switch (e.type) {
    case 'chain-ready':
      return {
        type: 'chain.ready',
        chain: e.chain,
        data: { chainId: e.chainId, tokenNetwork: e.tokenNetwork },
      };
    case 'channel-opened':
      return {
        type: 'channel.opened',
        peerId: e.peerId,
        channelId: e.channelId,
        chain: e.chain,
        amount: e.deposit.toString(),
        direction: 'outgoing',
      };
    case 'channel-deposit':
      return {
        type: 'channel.topped-up',
        peerId: e.peerId,
        channelId: e.channelId,
        amount: e.deposit.toString(),
      };
    case 'claim-sent':
      return {
        type: 'claim.sent',
        peerId: e.peerId,
        channelId: e.channelId,
        direction: 'outgoing',
        amount: e.ilpAmount.toString(),
        data: { nonce: e.nonce.toString(), tokenAmount: e.amount.toString() },
      };
    case 'claim-acknowledged':
      return {
        type: 'claim.acknowledged',
        peerId: e.peerId,
        channelId: e.channelId,
        data: { nonce: e.nonce.toString() },
      };
    case 'claim-rejected-by-peer':
      return {
        type: 'claim.rejected',
        peerId: e.peerId,
        channelId: e.channelId,
        data: { nonce: e.nonce.toString(), message: e.message },
      };
    case 'claim-received':
      return {
        type: 'claim.received',
        peerId: e.peerId,
        channelId: e.channelId,
        direction: 'incoming',
        amount: e.ilpAmount.toString(),
        data: { nonce: e.nonce.toString(), tokenAmount: e.amount.toString() },
      };
    case 'claim-refused':
      return { type: 'claim.refused', peerId: e.peerId, code: e.reason, data: { message: e.message } };
    case 'redeemed':
      return {
        type: 'claim.redeemed',
        peerId: e.peerId,
        channelId: e.channelId,
        txHash: e.txHash,
        amount: e.paid.toString(),
        data: { redeemedTotal: e.redeemed.toString() },
      };
    case 'channel-closing':
      return {
        type: 'channel.closing',
        peerId: e.peerId,
        channelId: e.channelId,
        direction: e.direction,
        data: { settleableAt: e.settleableAt.toString() },
      };
    case 'channel-settled':
      return { type: 'channel.settled', peerId: e.peerId, channelId: e.channelId, direction: e.direction };
    case 'error': {
      const event: RecordedEvent = {
        type: 'settlement.error',
        data: { operation: e.operation, message: e.message },
      };
      if (e.peerId !== undefined) event.peerId = e.peerId;
      return event;
    }
  }
}
