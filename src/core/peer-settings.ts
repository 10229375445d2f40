/** Turns validated peer config (file or registerPeer) into the runtime settings the pipeline uses. */
import type { ResolvedConfig, ResolvedPeerConfig } from '../config/index.js';
import type { PeerSettings } from './peers.js';

export function toPeerSettings(peer: ResolvedPeerConfig, config: ResolvedConfig): PeerSettings {
  return {
    id: peer.id,
    url: peer.url,
    authToken: peer.authToken,
    evmAddress: peer.evmAddress,
    settlementChain: peer.settlementChain,
    relation: peer.relation,
    maxPacketAmount: peer.maxPacketAmount,
    rateLimit: peer.rateLimit,
    maximum: peer.balance?.maximum,
    settleThreshold: peer.balance?.settleThreshold,
    settleTo: peer.balance?.settleTo,
    assetCode: peer.assetCode ?? config.asset.code,
    assetScale: peer.assetScale ?? config.asset.scale,
    // As ilp-connector: routes are exchanged with peers and parents; a child's come from the relation.
    sendRoutes: peer.sendRoutes ?? peer.relation !== 'child',
    receiveRoutes: peer.receiveRoutes ?? peer.relation !== 'child',
  };
}
