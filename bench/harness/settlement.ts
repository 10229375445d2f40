/**
 * Target `ours-settling`: the `ours` line at 1 hop (ledger in memory) with on-chain settlement on
 * at n1, against an anvil the harness starts once per run (chain id 8453; contracts deployed and
 * tokens minted once, by bench/targets/chain.ts).
 *
 *   sender -> n1 -> receiver              the raw load receiver, as for `ours`
 *                      | claims (BTP sub-protocol payment-channel-claim), relayed
 *                      v
 *                   verifier              a ConnectorNode with settlement on, the receiver's key
 *
 * n1 owes the receiver BENCH_AMOUNT per fulfilled packet; once it owes CLAIM_EVERY_PACKETS
 * packets' worth it signs a cumulative EIP-712 claim, saves it (fsync), books it and sends it over
 * BTP; the verifier checks it (chain, channel, ecrecover, nonce and amount), saves it and credits
 * its ledger. n1 opens its channel before it reports ready, and the state files last the whole
 * run, so no chain transaction falls in a measured window and from the second cell on the nodes
 * restart with their channel, as a node does in production. Redemption is off (redeemMinimum
 * 2^128-1): it is a transaction of the receiver, not work of the node under test, and on 2 cores
 * anvil mining blocks would take CPU from it.
 *
 * Each cell counts the settlement events both nodes report over IPC between the window's edges.
 * A cell in which no claim was accepted, or one was refused, fails: a settlement benchmark where
 * no claim flowed proves nothing.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseState } from '../../src/settlement/channels/channel-store.js';
import type { KmsBackendName } from '../../test/keys/kms/backends.js';
import { BENCH_AMOUNT } from '../load/frames.js';
import type { ChainOptions } from '../targets/chain.js';
import type { OursSettlement } from '../targets/ours.js';
import type { ChainInfo, ChildMessage } from './messages.js';
import { Child, childPids, isType, keepAcrossCells, type Measured } from './proc.js';

export const SETTLING_CHAIN_ID = 8453;
/** Packets' worth owed that make n1 sign a claim: several claims a second at 30-100k pkt/s. */
export const CLAIM_EVERY_PACKETS = 5_000n;
export const CLAIM_THRESHOLD_ILP = CLAIM_EVERY_PACKETS * BENCH_AMOUNT;
/** Token base units (18 decimals; 1 ILP unit at scale 9 is 10^9): ~10^15 packets' worth. */
const CHANNEL_DEPOSIT = 10n ** 27n;
const REDEEM_NEVER = (1n << 128n) - 1n;
/** The default asset scale (9) against the TestToken's 18 decimals. */
const TOKEN_UNITS_PER_ILP = 10n ** 9n;
/** anvil start, deployment and minting: ~10 transactions mined at once, plus process starts. */
const CHAIN_START_TIMEOUT_MS = 120_000;

export interface SettlementRun {
  readonly chain: ChainInfo;
  /** The backend that holds n1's key in `ours-settling-kms` (its local double runs in n1's process). */
  readonly kmsBackend: KmsBackendName;
  /** The nodes' state files, kept across the cells of the run. */
  readonly stateDir: string;
  /** The chain process and its anvil, for CPU sampling. */
  measured(): Measured[];
  stop(): Promise<void>;
}

export async function startSettlementRun(kmsBackend: KmsBackendName = 'aws-kms'): Promise<SettlementRun> {
  const child = keepAcrossCells(
    Child.fork('chain', 'targets/chain.js', { chainId: SETTLING_CHAIN_ID } satisfies ChainOptions),
  );
  let chain: ChainInfo;
  try {
    chain = (await child.waitFor(isType('chain'), CHAIN_START_TIMEOUT_MS, 'chain deployed')).chain;
    if (chain.keys.length < 2) throw new Error('the chain process funded fewer than 2 keys');
  } catch (err) {
    await child.stop();
    throw err;
  }
  const stateDir = mkdtempSync(join(tmpdir(), 'bench-settlement-'));
  process.once('exit', () => rmSync(stateDir, { recursive: true, force: true }));
  return {
    chain,
    kmsBackend,
    stateDir,
    measured: () => [child, ...childPids(child.pid).map((pid) => ({ name: 'anvil', pid }))],
    stop: async () => {
      rmSync(stateDir, { recursive: true, force: true });
      await child.stop();
    },
  };
}

/** The settlement options of n1 (`payer`, key 0, opens its channel to `receiver`) or the verifier (key 1). */
export function nodeSettlement(
  run: SettlementRun,
  role: 'payer' | 'verifier',
  openTo: string[],
  kms?: KmsBackendName,
): OursSettlement {
  const key = run.chain.keys[role === 'payer' ? 0 : 1]!;
  return {
    ...(kms === undefined ? {} : { kms }),
    chain: run.chain,
    privateKey: key.privateKey,
    statePath: join(run.stateDir, `${role}.json`),
    threshold: CLAIM_THRESHOLD_ILP.toString(),
    deposit: CHANNEL_DEPOSIT.toString(),
    redeemMinimum: REDEEM_NEVER.toString(),
    openTo,
  };
}

export function addressOf(run: SettlementRun, role: 'payer' | 'verifier'): string {
  return run.chain.keys[role === 'payer' ? 0 : 1]!.address;
}

/** Settlement over one measured window, from the events of the payer (n1) and the verifier. */
export interface ClaimCounts {
  /** Signed, saved, booked and sent by n1. */
  sent: number;
  /** Answered with an empty Response by the verifier, as seen by n1. */
  acknowledged: number;
  /** Verified, saved and credited by the verifier. */
  accepted: number;
  /** Refused by the verifier (claim-refused), or reported refused to n1 (claim-rejected-by-peer). */
  refused: number;
  /** Settlement errors of either node (chain, ledger, state file). */
  errors: number;
  /** ILP units the accepted claims settled. */
  ilpAccepted: number;
  firstProblem?: string;
}

const zero = (): ClaimCounts => ({
  sent: 0,
  acknowledged: 0,
  accepted: 0,
  refused: 0,
  errors: 0,
  ilpAccepted: 0,
});

/** Counts the settlement events both nodes report; `mark` takes the window's edges. */
export class ClaimCounter {
  readonly #now = zero();
  #start: ClaimCounts | undefined;
  #end: ClaimCounts | undefined;

  constructor(
    private readonly payer: Child,
    private readonly verifier: Child,
  ) {
    payer.proc.on('message', (m: ChildMessage) => this.#count(m));
    verifier.proc.on('message', (m: ChildMessage) => this.#count(m));
  }

  /** Both nodes' last log lines, to explain a cell in which claims did not flow. */
  logTails(): string {
    return [this.payer, this.verifier]
      .map((c) => `--- ${c.name} output (tail) ---\n${c.logTail() || '(nothing)'}`)
      .join('\n');
  }

  mark(edge: 'start' | 'end'): void {
    if (edge === 'start') this.#start = { ...this.#now };
    else this.#end = { ...this.#now };
  }

  /** What happened between the two marks; the first problem of the whole cell, if any. */
  window(): ClaimCounts {
    const a = this.#start ?? zero();
    const b = this.#end ?? this.#now;
    const counts: ClaimCounts = {
      sent: b.sent - a.sent,
      acknowledged: b.acknowledged - a.acknowledged,
      accepted: b.accepted - a.accepted,
      refused: b.refused - a.refused,
      errors: b.errors - a.errors,
      ilpAccepted: b.ilpAccepted - a.ilpAccepted,
    };
    if (this.#now.firstProblem !== undefined) counts.firstProblem = this.#now.firstProblem;
    return counts;
  }

  #count(m: ChildMessage): void {
    if (m.type !== 'settlement') return;
    const n = this.#now;
    if (m.event === 'claim-sent') n.sent++;
    else if (m.event === 'claim-acknowledged') n.acknowledged++;
    else if (m.event === 'claim-received') {
      n.accepted++;
      n.ilpAccepted += Number(m.ilpAmount ?? 0);
    } else if (m.event === 'claim-refused' || m.event === 'claim-rejected-by-peer') {
      n.refused++;
      n.firstProblem ??= `${m.event}: ${m.message ?? ''}`;
    } else if (m.event === 'error') {
      n.errors++;
      n.firstProblem ??= `settlement error: ${m.message ?? ''}`;
    }
  }
}

/** Why a settling cell proves nothing, or undefined when claims flowed and all were accepted. */
export function claimProblem(c: ClaimCounts): string | undefined {
  if (c.accepted === 0) return 'no claim was accepted during the measured window';
  if (c.refused > 0 || c.errors > 0)
    return `${c.refused} claim(s) refused, ${c.errors} settlement error(s): ${c.firstProblem}`;
  return undefined;
}

/**
 * The state files at the end of the run, as a second witness besides the events: the newest
 * nonce n1 signed and saw acknowledged, and the newest the verifier accepted, with the amount.
 */
export function stateFilesLine(run: SettlementRun): string {
  try {
    const payer = parseState(readFileSync(join(run.stateDir, 'payer.json'), 'utf8')).outgoing[0];
    const verifier = parseState(readFileSync(join(run.stateDir, 'verifier.json'), 'utf8')).incoming[0];
    if (payer === undefined || verifier === undefined) return 'state files: no channel saved';
    return `state files: channel ${payer.channelId.slice(0, 10)}..: n1 signed nonce ${payer.nonce} (acknowledged ${payer.acknowledgedNonce}), the verifier accepted nonce ${verifier.nonce}: ${verifier.transferred / TOKEN_UNITS_PER_ILP} ILP units in total (${verifier.transferred} token base units)`;
  } catch (err) {
    return `state files: unreadable (${err instanceof Error ? err.message : String(err)})`;
  }
}
