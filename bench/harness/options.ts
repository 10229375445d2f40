/** Command line of `npm run bench` (see docs/perf.md). */
import { parseArgs } from 'node:util';
import { KMS_BACKEND_NAMES, type KmsBackendName } from '../../test/keys/kms/backends.js';
import { DEFAULT_TARGETS, TARGETS, type Target } from './topology.js';

export interface BenchOptions {
  rounds: number;
  warmupMs: number;
  measureMs: number;
  targets: Target[];
  hops: number[];
  inFlight: number[];
  matrix: boolean;
  scale: boolean;
  /** Throughput with 10 and with 100k routes learned by CCP (harness/learned.ts). */
  scaleLearned: boolean;
  scalePeers: number;
  out: string | undefined;
  /** Targets whose node processes run with --cpu-prof. */
  profile: Target[];
  profileDir: string;
  batch: boolean;
  /** Print the tables of a saved --out file instead of running. */
  report: string | undefined;
  /** The backend of `ours-settling-kms`. */
  kmsBackend: KmsBackendName;
}

function kmsBackend(value: string | undefined): KmsBackendName {
  const name = value ?? 'aws-kms';
  if (!(KMS_BACKEND_NAMES as readonly string[]).includes(name))
    throw new Error(`--kms-backend: ${name} is not one of ${KMS_BACKEND_NAMES.join(', ')}`);
  return name as KmsBackendName;
}

export const USAGE = `npm run bench -- [options]
  --quick              smoke check: 1 round, 2 s per cell, in flight 1,100
  --rounds N           interleaved rounds (default 3)
  --seconds S          measured seconds per cell (default 5)
  --warmup S           warm-up seconds per cell (default 1)
  --only T[,T]         targets: relay, relay-batch, ours, ours-durable, ours-explorer (durable with the
                       Explorer on, as a node runs by default), ours-reconcile (durable with
                       in-flight records for reconciliation), reference (default: these),
                       ours-settling (ours with on-chain settlement on, 1 hop; starts anvil),
                       ours-settling-kms (the same with n1's key in a KMS: the real SDK against
                       the local double of test/keys/kms, in n1's process)
  --kms-backend B      aws-kms (default), gcp-kms or azure-kv, for ours-settling-kms
  --hops 1,2           line lengths (default 1,2)
  --inflight 1,10,...  requests in flight (default 1,10,100,1000)
  --scale              also run the scale scenarios (1,000 peers, route-table size)
  --scale-only         only the scale scenarios
  --scale-learned      only: throughput with 10 and with 100,000 routes learned by CCP (ours)
  --peers N            peers in the scale scenarios (default 1000)
  --profile T[,T]      run these targets' nodes with --cpu-prof (profiles in --profile-dir)
  --profile-dir DIR    default bench-profiles
  --no-batch           generator writes one syscall per frame (to check it is not the bottleneck)
  --out FILE           write every result as JSON
  --report FILE        print the tables of a saved --out file (no run)`;

function list(value: string | undefined, fallback: string): string[] {
  return (value ?? fallback)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function numbers(value: string | undefined, fallback: string, what: string): number[] {
  return list(value, fallback).map((s) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${what}: ${s} is not a positive integer`);
    return n;
  });
}

function targets(value: string | undefined, fallback: string): Target[] {
  return list(value, fallback).map((s) => {
    if (!(TARGETS as readonly string[]).includes(s))
      throw new Error(`unknown target ${s} (${TARGETS.join(', ')})`);
    return s as Target;
  });
}

export function parseOptions(argv: string[]): BenchOptions | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean' },
      rounds: { type: 'string' },
      seconds: { type: 'string' },
      warmup: { type: 'string' },
      only: { type: 'string' },
      hops: { type: 'string' },
      inflight: { type: 'string' },
      scale: { type: 'boolean' },
      'scale-only': { type: 'boolean' },
      'scale-learned': { type: 'boolean' },
      peers: { type: 'string' },
      profile: { type: 'string' },
      'profile-dir': { type: 'string' },
      'no-batch': { type: 'boolean' },
      out: { type: 'string' },
      report: { type: 'string' },
      'kms-backend': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return undefined;
  const quick = values.quick === true;
  const seconds = Number(values.seconds ?? (quick ? 2 : 5));
  const warmup = Number(values.warmup ?? (quick ? 0.5 : 1));
  if (!(seconds > 0) || !(warmup >= 0)) throw new Error('--seconds must be > 0 and --warmup >= 0');
  return {
    rounds: numbers(values.rounds, quick ? '1' : '3', 'rounds')[0]!,
    warmupMs: warmup * 1000,
    measureMs: seconds * 1000,
    targets: targets(values.only, DEFAULT_TARGETS.join(',')),
    hops: numbers(values.hops, '1,2', 'hops'),
    inFlight: numbers(values.inflight, quick ? '1,100' : '1,10,100,1000', 'inflight'),
    matrix: values['scale-only'] !== true && values['scale-learned'] !== true,
    scale: values.scale === true || values['scale-only'] === true,
    scaleLearned: values['scale-learned'] === true,
    scalePeers: numbers(values.peers, '1000', 'peers')[0]!,
    out: values.out,
    profile: values.profile === undefined ? [] : targets(values.profile, ''),
    profileDir: values['profile-dir'] ?? 'bench-profiles',
    batch: values['no-batch'] !== true,
    report: values.report,
    kmsBackend: kmsBackend(values['kms-backend']),
  };
}
