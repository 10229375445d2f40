/**
 * The node's CCP speaker (routing/ccp/), when `ccp.enabled`: its view of the peers (relation,
 * sendRoutes/receiveRoutes) and its way out, a Prepare of amount 0 over the peer's BTP link.
 */
import type { LinkManager } from '../btp/index.js';
import { decodeIlpReply, encodePrepare, PEER_PROTOCOL_CONDITION } from '../codec/index.js';
import type { ResolvedConfig } from '../config/index.js';
import { CcpSpeaker } from '../routing/ccp/index.js';
import type { RoutingTable } from '../routing/index.js';
import { ConnectorError } from '../utils/errors.js';
import type { Logger } from '../utils/logger.js';
import type { PeerRegistry } from './peers.js';

export interface RouteLearningDeps {
  config: ResolvedConfig;
  peers: PeerRegistry;
  routes: RoutingTable;
  links: LinkManager;
  address: () => string;
  logger: Logger;
}

export function createRouteLearning(d: RouteLearningDeps): CcpSpeaker | undefined {
  const { config, peers, links } = d;
  if (!config.ccp.enabled) return undefined;
  return new CcpSpeaker({
    nodeId: config.nodeId,
    ownAddress: d.address,
    table: d.routes,
    relationOf: (peerId) => peers.get(peerId)?.settings.relation,
    policy: (peerId) => {
      const settings = peers.get(peerId)?.settings;
      return settings && { send: settings.sendRoutes === true, receive: settings.receiveRoutes === true };
    },
    isConnected: (peerId) => links.isConnected(peerId),
    send: async (peerId, destination, data, timeoutMs) => {
      const prepare = encodePrepare({
        amount: 0n,
        expiresAt: new Date(Date.now() + timeoutMs),
        executionCondition: PEER_PROTOCOL_CONDITION,
        destination,
        data,
      });
      const reply = decodeIlpReply(await links.sendIlp(peerId, prepare, timeoutMs));
      if (reply.type !== 13) {
        throw new ConnectorError(
          'ERR_BTP_REMOTE',
          `${destination} to ${peerId}: ${reply.code} ${reply.message}`,
        );
      }
    },
    logger: d.logger,
    options: { ...config.ccp, requestTimeoutMs: config.btp.requestTimeoutMs },
  });
}
