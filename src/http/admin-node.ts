/** What the admin API and the ILP send handler need of a node (ConnectorNode implements it). */
import type { IlpFulfill, IlpReject } from '../codec/index.js';
import type {
  ChannelMetadata,
  ChannelOpenOptions,
  ChannelSettleResult,
  PeerAccountBalance,
  PeerInfo,
  PeerRegistrationRequest,
  RemovePeerResult,
  RouteInfo,
  SendPacketParams,
  WalletChainBalance,
  WithdrawRequest,
  WithdrawResult,
} from '../types/index.js';

export interface AdminNode {
  isReady(): boolean;
  listPeers(): PeerInfo[];
  registerPeer(request: PeerRegistrationRequest): Promise<PeerInfo>;
  removePeer(peerId: string, removeRoutes?: boolean): Promise<RemovePeerResult>;
  listRoutes(): RouteInfo[];
  addRoute(prefix: string, nextHop: string, priority?: number): void;
  removeRoute(prefix: string): void;
  sendPacket(params: SendPacketParams): Promise<IlpFulfill | IlpReject>;
  getBalance(peerId: string): Promise<PeerAccountBalance>;
  listChannels(): Promise<ChannelMetadata[]>;
  openChannel(options: ChannelOpenOptions): Promise<ChannelMetadata>;
  /** One channel by id; ERR_CHANNEL_UNKNOWN (404) when the node has none. */
  channel(channelId: string): Promise<ChannelMetadata>;
  depositChannel(channelId: string, amount: bigint): Promise<ChannelMetadata>;
  closeChannelById(channelId: string, cooperative: boolean): Promise<ChannelMetadata>;
  settleChannel(channelId: string): Promise<ChannelSettleResult>;
  wallet(): Promise<WalletChainBalance[]>;
  withdraw(request: WithdrawRequest): Promise<WithdrawResult>;
}
