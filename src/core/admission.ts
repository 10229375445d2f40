/**
 * Open admission (DESIGN §12, docs/routing.md "Open admission"): a BTP username no peer has is
 * admitted as a child `<own>.<username>` when `btp.admission.mode` is `open`. The agent gets the
 * admission's limits (zero credit by default: it spends only what it received or prepaid), at
 * most `maxAgents` are held at once, and one with no packet for `idleEvictMs` is removed (link,
 * routes, registry); its ledger account and balance stay.
 *
 * The auth check is answered only after the agent's account, route and link exist, so no packet
 * of it is served before its account does (BTPServer holds the socket until the verdict).
 * A username stays bound to the token it was first admitted with, also after eviction and across
 * restarts (the SHA-256 of each name's token in `admission-agents.jsonl` beside the ledger, written
 * before the login is answered; a bounded memory: `maxRememberedAgents`), so nobody else can take
 * the name and its balance.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import type { AuthClaim, AuthVerdict } from '../btp/index.js';
import { isValidSegment } from '../codec/index.js';
import {
  type AdmissionConfig,
  allowNoAuth,
  type Env,
  parsePeerConfig,
  type ResolvedConfig,
  resolvePeerSecret,
} from '../config/index.js';
import { AppendLog } from '../gateway/append-log.js';
import type { RoutingTable } from '../routing/index.js';
import type { Logger } from '../utils/logger.js';
import { messageOf } from '../utils/text.js';
import { X402_SEGMENT } from './gateway-host.js';
import type { PeerManager } from './peer-manager.js';
import type { PeerRegistry } from './peers.js';

/** An agent's username becomes an address segment and a ledger account id (`peer:<id>`, 128 chars at most). */
export const MAX_AGENT_ID_CHARS = 64;
export const MAX_AGENT_TOKEN_BYTES = 256;
/** The idle sweep runs at a quarter of idleEvictMs, within these bounds. */
const SWEEP_MIN_MS = 25;
const SWEEP_MAX_MS = 60_000;

export interface AdmissionDeps {
  config: ResolvedConfig;
  peers: PeerRegistry;
  /** A username whose `<own>.<username>` already has a route (configured) is taken. */
  routes: RoutingTable;
  address: () => string;
  peerManager: PeerManager;
  logger: Logger;
  /**
   * Where the token bindings are kept (the node's data directory); undefined with a ledger kept
   * in memory only (`ledgerDurability: off`): no balance outlives the process, nor do bindings.
   */
  dataDir: string | undefined;
  now?: () => number;
}

/** A binding as stored: the username and the hex SHA-256 of its token. */
interface BindingRecord {
  u: string;
  h: string;
}

export const BINDINGS_FILE = 'admission-agents.jsonl';

interface Agent {
  /** prepareIn + prepareOut at the last sweep that saw it change. */
  packets: number;
  lastActiveMs: number;
}

/** ignoreBOM keeps a leading BOM, so the token string encodes back to the same bytes. */
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export class Admission {
  private readonly policy: AdmissionConfig;
  private readonly agents = new Map<string, Agent>();
  private readonly pending = new Set<string>();
  /** sha256 of the token each username was admitted with, oldest first (bounded). */
  private readonly bound = new Map<string, Buffer>();
  /** Ids an agent may never take: the node's, configured peers' and configured routes' next hops. */
  private readonly reserved: ReadonlySet<string>;
  private readonly now: () => number;
  private sweepTimer: NodeJS.Timeout | undefined;
  /** The bindings' file, open from `open()` to `stop()`. */
  private log: AppendLog | undefined;
  /** Agents removed for idleness since start. */
  evicted = 0;

  constructor(private readonly d: AdmissionDeps) {
    this.policy = d.config.btp.admission;
    this.now = d.now ?? Date.now;
    const { config } = d;
    this.reserved = new Set([
      config.nodeId,
      ...config.peers.map((p) => p.id),
      ...config.routes.map((r) => r.nextHop),
      ...this.policy.reservedUsernames,
      // The gateway serves `<own>.x402` locally; an agent by that name would capture its packets.
      ...(config.mode === 'gateway' ? [X402_SEGMENT] : []),
    ]);
  }

  /** Agents admitted and not yet evicted. */
  get count(): number {
    return this.agents.size;
  }

  /**
   * Reads the bindings left by earlier runs (before the BTP server listens, so that no login is
   * judged without them) and opens the file for new ones. A damaged file stops the start.
   */
  async open(): Promise<void> {
    if (this.log !== undefined || this.d.dataDir === undefined) return;
    const path = join(this.d.dataDir, BINDINGS_FILE);
    const latest = new Map<string, string>();
    const { log, records } = await AppendLog.open(path, (records) => {
      for (const r of records) {
        const { u, h } = r as Partial<BindingRecord>;
        if (typeof u !== 'string' || typeof h !== 'string' || !/^[0-9a-f]{64}$/.test(h))
          throw new Error(`${path}: not an admission binding: ${JSON.stringify(r).slice(0, 80)}`);
        latest.delete(u);
        latest.set(u, h);
      }
      // Compacted to one line per name, the newest maxRememberedAgents.
      return [...latest].slice(-this.policy.maxRememberedAgents).map(([u, h]) => ({ u, h }));
    });
    this.log = log;
    for (const [u, h] of latest) this.keep(u, Buffer.from(h, 'hex'));
    if (records.length > 0) this.d.logger.info({ bound: this.bound.size }, 'admission: token bindings read');
  }

  start(): void {
    if (this.sweepTimer !== undefined) return;
    const everyMs = Math.min(SWEEP_MAX_MS, Math.max(SWEEP_MIN_MS, Math.floor(this.policy.idleEvictMs / 4)));
    this.sweepTimer = setInterval(() => this.sweep(), everyMs);
    this.sweepTimer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    const log = this.log;
    this.log = undefined;
    await log?.close();
  }

  /** The LinkManager's `admit`: undefined while admission is closed (the username is unknown). */
  admit(claim: AuthClaim): Promise<AuthVerdict> | undefined {
    if (this.policy.mode !== 'open') return undefined;
    const refused = this.check(claim);
    if (refused !== undefined) return Promise.resolve(refused);
    this.pending.add(claim.username);
    return this.register(claim.username, claim.token).finally(() => this.pending.delete(claim.username));
  }

  /** Every reason to refuse a claim before anything is created. */
  private check({ username, token }: AuthClaim): AuthVerdict | undefined {
    if (!isValidSegment(username) || username.length > MAX_AGENT_ID_CHARS)
      return {
        reason: 'username is not an ILP address segment',
        told: `username must be 1-${MAX_AGENT_ID_CHARS} characters of A-Z a-z 0-9 _ ~ -`,
      };
    if (this.reserved.has(username) || this.d.peers.has(username))
      return { reason: "username is reserved or a configured peer's id" };
    if (this.d.routes.routeAt(`${this.d.address()}.${username}`) !== undefined)
      return { reason: 'username is an address the node already routes' };
    if (token.length === 0 || token.length > MAX_AGENT_TOKEN_BYTES || !isUtf8(token))
      return {
        reason: 'unusable token for admission',
        told: `open admission needs a UTF-8 auth_token of 1-${MAX_AGENT_TOKEN_BYTES} bytes (it binds the username)`,
      };
    if (this.pending.has(username))
      return {
        reason: 'admission of this username in progress',
        told: 'admission in progress; retry',
        code: 'T00',
      };
    const digest = this.bound.get(username);
    if (digest !== undefined && !timingSafeEqual(digest, sha256(token)))
      return { reason: 'username is bound to another token' };
    if (this.agents.size + this.pending.size >= this.policy.maxAgents)
      return {
        reason: `admission full (maxAgents ${this.policy.maxAgents})`,
        told: 'node is full: no more agents admitted now; retry later',
        code: 'T00',
      };
    return undefined;
  }

  /** Account, route and link of the agent (PeerManager.add: all or nothing), then the verdict. */
  private async register(username: string, token: Uint8Array): Promise<AuthVerdict> {
    const { maximum, maxPacketAmount, rateLimit } = this.policy;
    const authToken = strictUtf8.decode(token);
    const digest = sha256(token);
    try {
      // Bound (durably) before anything is created: a name with a balance never goes unbound.
      if (this.log !== undefined && this.bound.get(username)?.equals(digest) !== true)
        await this.log.append({ u: username, h: digest.toString('hex') } satisfies BindingRecord);
      const peer = parsePeerConfig({
        id: username,
        authToken,
        relation: 'child',
        rateLimit: { packetsPerSecond: rateLimit.packetsPerSecond, burst: rateLimit.burst },
        balance: { maximum },
        ...(maxPacketAmount === undefined ? {} : { maxPacketAmount }),
      });
      await this.d.peerManager.add(peer);
    } catch (err) {
      return { reason: `admission failed: ${messageOf(err)}` };
    }
    this.agents.set(username, { packets: 0, lastActiveMs: this.now() });
    this.keep(username, digest);
    return { peerId: username };
  }

  private keep(username: string, digest: Buffer): void {
    this.bound.delete(username);
    this.bound.set(username, digest);
    if (this.bound.size <= this.policy.maxRememberedAgents) return;
    const oldest = this.bound.keys().next().value;
    // A live agent's token is also held by its link; forgetting an evicted one's is the bound's price.
    if (oldest !== undefined) this.bound.delete(oldest);
  }

  /** A peer was removed (evicted, or by the operator's removePeer): its slot is free. */
  forget(peerId: string): void {
    // The name may have been admitted again while its removal was closing the old link.
    if (!this.d.peers.has(peerId)) this.agents.delete(peerId);
  }

  /** Removes agents with no packet from or to them since idleEvictMs ago. */
  sweep(nowMs = this.now()): void {
    const idle: string[] = [];
    for (const [id, agent] of this.agents) {
      const peer = this.d.peers.get(id);
      if (peer === undefined) continue; // being removed: forget() follows
      const packets = peer.counts.prepareIn + peer.counts.prepareOut;
      if (packets !== agent.packets) {
        agent.packets = packets;
        agent.lastActiveMs = nowMs;
      } else if (nowMs - agent.lastActiveMs >= this.policy.idleEvictMs) idle.push(id);
    }
    for (const id of idle) this.evict(id);
    if (idle.length > 0)
      this.d.logger.info({ evicted: idle.length, agents: this.agents.size }, 'idle agents evicted');
  }

  private evict(id: string): void {
    this.agents.delete(id);
    this.evicted++;
    this.d.peerManager.remove(id, true).catch((err: unknown) => {
      this.d.logger.error({ err, peer: id }, 'evicting an idle agent failed');
    });
  }
}

/**
 * The node's admission when `btp.admission.mode` is open, else undefined. A configured peer with
 * no secret can be logged into by anyone while BTP_ALLOW_NOAUTH holds (the spec's permissionless
 * default): admission cannot protect that id, so the operator is warned.
 */
export function createAdmission(d: AdmissionDeps, env: Env): Admission | undefined {
  const { config } = d;
  if (config.btp.admission.mode !== 'open') return undefined;
  const open = allowNoAuth(config, env)
    ? config.peers.filter((p) => (resolvePeerSecret(p.id, env) ?? p.authToken) === '').map((p) => p.id)
    : [];
  if (open.length > 0)
    d.logger.warn(
      { peers: open.slice(0, 20), count: open.length },
      'open admission is on and these configured peers have no secret: anyone can log in as them (set authToken or BTP_PEER_<ID>_SECRET, or BTP_ALLOW_NOAUTH=false)',
    );
  return new Admission(d);
}

function sha256(bytes: Uint8Array): Buffer {
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
