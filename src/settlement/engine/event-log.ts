/**
 * One log line per settlement event, so an operator at `info` sees settlement happen: a claim
 * sent, received or redeemed, a channel opened, topped up, closing or closed (never per packet:
 * these are per claim and per channel). Events that already have their line where they happen
 * are not logged twice: `chain-ready` (info, chains.ts), `claim-refused` (warn, claim-receiver.ts),
 * `claim-rejected-by-peer` and `error` (error). A peer's acknowledgement is `debug`.
 */
import type { Logger } from '../../utils/logger.js';
import type { SettlementEvent } from './types.js';

export function logEvent(logger: Logger, e: SettlementEvent): void {
  switch (e.type) {
    case 'channel-opened':
      logger.info(
        { peerId: e.peerId, channelId: e.channelId, chain: e.chain, deposit: String(e.deposit) },
        'settlement: channel opened',
      );
      return;
    case 'channel-deposit':
      logger.info(
        { peerId: e.peerId, channelId: e.channelId, deposit: String(e.deposit) },
        'settlement: channel topped up',
      );
      return;
    case 'claim-sent':
      logger.info(
        {
          peerId: e.peerId,
          channelId: e.channelId,
          nonce: String(e.nonce),
          amount: String(e.amount),
          ilpAmount: String(e.ilpAmount),
        },
        'settlement: claim sent',
      );
      return;
    case 'claim-acknowledged':
      logger.debug(
        { peerId: e.peerId, channelId: e.channelId, nonce: String(e.nonce) },
        'settlement: claim acknowledged',
      );
      return;
    case 'claim-received':
      logger.info(
        {
          peerId: e.peerId,
          channelId: e.channelId,
          nonce: String(e.nonce),
          amount: String(e.amount),
          ilpAmount: String(e.ilpAmount),
        },
        'settlement: claim received',
      );
      return;
    case 'redeemed':
      logger.info(
        {
          peerId: e.peerId,
          channelId: e.channelId,
          paid: String(e.paid),
          redeemed: String(e.redeemed),
          txHash: e.txHash,
        },
        'settlement: claim redeemed',
      );
      return;
    case 'channel-closing': {
      const fields = {
        peerId: e.peerId,
        channelId: e.channelId,
        direction: e.direction,
        settleableAt: String(e.settleableAt),
      };
      // A peer closing its channel to us on its own is worth a warning: we must answer in time.
      if (e.direction === 'incoming' && e.settleableAt > 0n)
        logger.warn(
          fields,
          'settlement: channel closing (the peer closes its channel to us; redeeming its latest claim)',
        );
      else logger.info(fields, 'settlement: channel closing');
      return;
    }
    case 'channel-settled':
      logger.info(
        { peerId: e.peerId, channelId: e.channelId, direction: e.direction },
        'settlement: channel closed',
      );
      return;
    case 'chain-ready':
    case 'claim-rejected-by-peer':
    case 'claim-refused':
    case 'error':
      return;
  }
}
