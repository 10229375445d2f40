/**
 * A channel as the API shows it (`listChannels`, `channelsOf`, the operator's `openChannel`, the
 * admin API): either direction in one shape, the counterparty and chain named.
 */
import type { Address, Hex } from 'viem';
import type { IncomingChannel, OutgoingChannel } from './channel-store.js';

export interface ChannelView {
  readonly direction: 'outgoing' | 'incoming';
  readonly peerId: string;
  readonly chain: string;
  readonly chainId: number;
  readonly tokenNetwork: Address;
  readonly channelId: Hex;
  readonly counterparty: Address;
  readonly status: 'open' | 'closing' | 'settled';
  readonly deposit: bigint;
  readonly nonce: bigint;
  /** Cumulative token base units claimed on the channel. */
  readonly transferred: bigint;
  /** Incoming: redeemed on chain. Outgoing: the newest nonce the peer acknowledged. */
  readonly redeemed?: bigint;
  readonly acknowledgedNonce?: bigint;
  readonly settleableAt: bigint;
}

/** `chain`: the name of the channel's chain, or its id as text when that chain is not connected. */
export function channelView(
  c: Readonly<OutgoingChannel> | Readonly<IncomingChannel>,
  direction: 'outgoing' | 'incoming',
  chain: string,
): ChannelView {
  const common = {
    direction,
    peerId: c.peerId,
    chain,
    chainId: c.chainId,
    tokenNetwork: c.tokenNetwork,
    channelId: c.channelId,
    status: c.status,
    deposit: c.deposit,
    nonce: c.nonce,
    transferred: c.transferred,
    settleableAt: c.settleableAt,
  };
  return 'receiver' in c
    ? { ...common, counterparty: c.receiver, acknowledgedNonce: c.acknowledgedNonce }
    : { ...common, counterparty: c.sender, redeemed: c.redeemed };
}
