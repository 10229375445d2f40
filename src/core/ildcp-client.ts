/** Asks a parent for our address (IL-DCP, RFC 31) over the link to it. */
import {
  decodeIldcpResponse,
  decodeIlpReply,
  encodePrepare,
  ILDCP_CONDITION,
  ILDCP_DESTINATION,
  type IldcpResponse,
} from '../codec/index.js';
import { ConnectorError } from '../utils/errors.js';
import type { LinkSender } from './context.js';

const EMPTY = new Uint8Array(0);

export async function fetchIldcp(
  links: LinkSender,
  parentId: string,
  timeoutMs: number,
): Promise<IldcpResponse> {
  const prepare = encodePrepare({
    amount: 0n,
    expiresAt: new Date(Date.now() + timeoutMs),
    executionCondition: ILDCP_CONDITION,
    destination: ILDCP_DESTINATION,
    data: EMPTY,
  });
  const reply = decodeIlpReply(await links.sendIlp(parentId, prepare, timeoutMs));
  if (reply.type === 14) {
    throw new ConnectorError(
      'ERR_BTP_REMOTE',
      `IL-DCP request to ${parentId} rejected: ${reply.code} ${reply.message}`,
    );
  }
  return decodeIldcpResponse(reply.data);
}
