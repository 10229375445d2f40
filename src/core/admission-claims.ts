/**
 * Open admission's checks on a login under an unknown username (docs/routing.md, "Open
 * admission"): every reason to refuse it before anything is created, each with its metric label.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AuthClaim, AuthRefusal } from '../btp/index.js';
import { isValidSegment } from '../codec/index.js';
import type { AdmissionRefusal } from '../http/index.js';
import type { RoutingTable } from '../routing/index.js';
import type { AgentBindings } from './admission-bindings.js';
import type { PeerRegistry } from './peers.js';

/** An agent's username becomes an address segment and a ledger account id (`peer:<id>`, 128 chars at most). */
export const MAX_AGENT_ID_CHARS = 64;
export const MAX_AGENT_TOKEN_BYTES = 256;

/** A refusal and its metric label. */
export type Refusal = AuthRefusal & { why: AdmissionRefusal };

/** What a claim is checked against. */
export interface ClaimContext {
  /** Ids an agent may never take: the node's, configured peers' and configured routes' next hops. */
  reserved: ReadonlySet<string>;
  peers: PeerRegistry;
  routes: RoutingTable;
  address: string;
  /** Usernames whose admission runs. */
  pending: ReadonlySet<string>;
  bindings: AgentBindings;
  /** Agents admitted now. */
  admitted: number;
  maxAgents: number;
}

/** ignoreBOM keeps a leading BOM, so the token string encodes back to the same bytes. */
export const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Every reason to refuse a claim before anything is created. */
export function checkClaim({ username, token }: AuthClaim, c: ClaimContext): Refusal | undefined {
  if (!isValidSegment(username) || username.length > MAX_AGENT_ID_CHARS)
    return {
      why: 'invalid-username',
      reason: 'username is not an ILP address segment',
      told: `username must be 1-${MAX_AGENT_ID_CHARS} characters of A-Z a-z 0-9 _ ~ -`,
    };
  if (c.reserved.has(username) || c.peers.has(username))
    return { why: 'reserved', reason: "username is reserved or a configured peer's id" };
  if (c.routes.routeAt(`${c.address}.${username}`) !== undefined)
    return { why: 'routed', reason: 'username is an address the node already routes' };
  if (token.length === 0 || token.length > MAX_AGENT_TOKEN_BYTES || !isUtf8(token))
    return {
      why: 'invalid-token',
      reason: 'unusable token for admission',
      told: `open admission needs a UTF-8 auth_token of 1-${MAX_AGENT_TOKEN_BYTES} bytes (it binds the username)`,
    };
  if (c.pending.has(username))
    return {
      why: 'in-progress',
      reason: 'admission of this username in progress',
      told: 'admission in progress; retry',
      code: 'T00',
    };
  const digest = c.bindings.digest(username);
  if (digest !== undefined && !timingSafeEqual(digest, sha256(token)))
    return { why: 'wrong-token', reason: 'username is bound to another token' };
  const admitted = c.admitted + c.pending.size;
  if (admitted >= c.maxAgents)
    return {
      why: 'full',
      reason: `admission full (maxAgents ${c.maxAgents})`,
      told: 'node is full: no more agents admitted now; retry later',
      code: 'T00',
    };
  // A new name may end up holding money, and such a name is never forgotten: room is kept for it.
  if (digest === undefined && !c.bindings.hasRoomForNewName(admitted))
    return {
      why: 'remembered-full',
      reason: `admission full: agents gone with money (${c.bindings.heldWithMoney}) and admitted ones fill maxAgents + maxRememberedAgents`,
      told: 'node is full: no more new agents admitted now; retry later',
      code: 'T00',
    };
  return undefined;
}

/** The answer to a login whose admission took longer than `timeoutMs` (given up). */
export function timedOut(timeoutMs: number): Refusal {
  return {
    why: 'timeout',
    reason: `admission not done within timeoutMs ${timeoutMs}; given up`,
    told: 'admission timed out; retry later',
    code: 'T00',
  };
}

export function sha256(bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest();
}

function isUtf8(bytes: Uint8Array): boolean {
  try {
    strictUtf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}
