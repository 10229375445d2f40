/** What the admin API and the ILP send handler need of a node (ConnectorNode implements it). */
import type { IlpFulfill, IlpReject } from '../codec/index.js';
import type {
  ChannelMetadata,
  ChannelOpenOptions,
  PeerAccountBalance,
  PeerInfo,
  PeerRegistrationRequest,
  RemovePeerResult,
  RouteInfo,
  SendPacketParams,
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
}
