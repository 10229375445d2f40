/**
 * `connector setup --yes`: the answers from flags and environment (options.ts), every omitted
 * one at its default, every problem reported at once. `--yes` alone: an embedded node with no
 * peers, its own data directory, settlement off: a minimal config that starts.
 */
import { english, generateMnemonic, generatePrivateKey } from 'viem/accounts';
import { KEY_BACKEND_INFO, type KeyBackend } from '../../config/index.js';
import {
  checkAmount,
  checkBtpUrl,
  checkEvmAddress,
  checkHttpUrl,
  checkIlpAddress,
  checkMnemonicText,
  checkPath,
  checkPort,
  checkPositiveInt,
  checkPrivateKey,
  checkRpcUrl,
  checkSecret,
  checkSegment,
  DEFAULTS,
  defaultDataDir,
  type ExtraChainAnswer,
  type KeyAnswer,
  type LedgerAnswer,
  type PeerAnswer,
  type Relation,
  type SettlementAnswer,
  type SetupAnswers,
} from './answers.js';
import { CUSTOM_NETWORK, extraPresetChains, SETTLEMENT_NETWORKS, settlementNetwork } from './networks.js';
import { type OptionValues, optionValue, optionValues } from './options.js';

export type FromOptions = { ok: true; answers: SetupAnswers } | { ok: false; problems: string[] };

class Reader {
  readonly problems: string[] = [];
  constructor(
    private readonly flags: OptionValues,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  raw(name: string): string | undefined {
    return optionValue(name, this.flags, this.env)?.trim();
  }

  all(name: string): string[] {
    return optionValues(name, this.flags, this.env);
  }

  /** The value if it passes `check`, else a problem (and undefined). */
  get(name: string, check: (v: string) => string | undefined): string | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    const problem = check(value);
    if (problem === undefined) return value;
    this.problems.push(`--${name}: ${problem}`);
    return undefined;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if ((allowed as readonly string[]).includes(value)) return value as T;
    this.problems.push(`--${name}: one of ${allowed.join(', ')}`);
    return fallback;
  }

  port(name: string, fallback: number): number {
    const value = this.get(name, checkPort);
    return value === undefined ? fallback : Number(value);
  }

  need(name: string, value: string | undefined, why: string): string {
    if (value === undefined) this.problems.push(`--${name}: required ${why}`);
    return value ?? '';
  }
}

const PEER_KEYS = ['id', 'url', 'relation', 'token', 'credit', 'settle', 'evm'];

function parsePeer(spec: string, r: Reader): PeerAnswer | undefined {
  const fields = new Map<string, string>();
  for (const part of spec.split(',')) {
    const at = part.indexOf('=');
    const key = part.slice(0, at).trim();
    if (at < 0 || !PEER_KEYS.includes(key)) {
      r.problems.push(`--peer ${spec}: each part is key=value with key one of ${PEER_KEYS.join(', ')}`);
      return undefined;
    }
    fields.set(key, part.slice(at + 1).trim());
  }
  const at = (key: string, check: (v: string) => string | undefined): string | undefined => {
    const value = fields.get(key);
    if (value === undefined || value === '') return undefined;
    const problem = check(value);
    if (problem !== undefined) r.problems.push(`--peer ${spec}: ${key} must be ${problem}`);
    return problem === undefined ? value : undefined;
  };
  const id = at('id', checkSegment);
  if (id === undefined) {
    if (!fields.has('id')) r.problems.push(`--peer ${spec}: id is required`);
    return undefined;
  }
  const relation = fields.get('relation') ?? 'peer';
  if (relation !== 'peer' && relation !== 'child') {
    r.problems.push(`--peer ${spec}: relation must be peer or child (a parent is --parent-url)`);
  }
  const credit = at('credit', checkAmount);
  const settle = at('settle', checkAmount);
  return {
    id,
    url: at('url', checkBtpUrl),
    relation: relation as Relation,
    token: at('token', checkSecret) ?? '',
    creditLimit: credit === undefined ? undefined : BigInt(credit),
    settleThreshold: settle === undefined ? undefined : BigInt(settle),
    evmAddress: at('evm', checkEvmAddress),
  };
}

function keyAnswer(r: Reader): KeyAnswer {
  const kms = KEY_BACKEND_INFO.filter((b) => b.backend !== 'env').map((b) => b.backend);
  const kind = r.oneOf('key', ['private-key', 'new-mnemonic', 'mnemonic', ...kms], 'new-mnemonic');
  switch (kind) {
    case 'private-key':
      return {
        kind: 'private-key',
        privateKey: r.get('private-key', checkPrivateKey) ?? generatePrivateKey(),
      };
    case 'new-mnemonic':
    case 'mnemonic': {
      const mnemonic =
        kind === 'mnemonic'
          ? r.need('mnemonic', r.get('mnemonic', checkMnemonicText), 'with --key mnemonic')
          : generateMnemonic(english);
      return { kind: 'mnemonic', mnemonic, derivationPath: r.get('derivation-path', checkPath) };
    }
    default: {
      const info = KEY_BACKEND_INFO.find((b) => b.backend === kind)!;
      const fields: Record<string, string> = {};
      for (const f of info.fields) {
        const name = f.env.toLowerCase().replace(/_/g, '-');
        const value = r.raw(name);
        if (value !== undefined) fields[f.path] = value;
        else if (f.required) r.problems.push(`--${name} (${f.env}): required with --key ${kind}`);
      }
      return { kind: 'kms', keyBackend: kind as Exclude<KeyBackend, 'env'>, fields };
    }
  }
}

function settlementAnswer(r: Reader): SettlementAnswer {
  const ids = SETTLEMENT_NETWORKS.map((n) => n.id);
  const network = r.oneOf('settlement', ['off', ...ids], 'off');
  if (network === 'off') return { enabled: false };
  const preset = settlementNetwork(network);
  const rpcUrl = r.get('rpc-url', checkRpcUrl);
  if (network === CUSTOM_NETWORK) r.need('rpc-url', rpcUrl, 'with --settlement custom');
  const chainId = r.get('chain-id', checkPositiveInt);
  const token = r.get('token-address', checkEvmAddress) ?? preset?.tokenAddress;
  const registry = r.get('registry-address', checkEvmAddress) ?? preset?.registryAddress;
  const threshold = r.get('settle-threshold', checkAmount);
  const extraChains: ExtraChainAnswer[] = [];
  const names = extraPresetChains(network).map((c) => c.name);
  for (const spec of r.all('also-chain')) {
    const [name = '', tokenAddress = '', registryAddress = ''] = spec.split(':').map((p) => p.trim());
    if (!names.includes(name) || checkEvmAddress(tokenAddress) || checkEvmAddress(registryAddress)) {
      r.problems.push(
        `--also-chain ${spec}: name:token:registry with name one of ${names.join(', ') || '(none for this network)'}`,
      );
    } else extraChains.push({ name, tokenAddress, registryAddress });
  }
  return {
    enabled: true,
    network,
    rpcUrl,
    chainId: chainId === undefined ? undefined : Number(chainId),
    tokenAddress: r.need('token-address', token, 'when settlement is on'),
    registryAddress: r.need('registry-address', registry, 'when settlement is on'),
    threshold: threshold === undefined ? undefined : BigInt(threshold),
    extraChains,
    key: keyAnswer(r),
  };
}

function ledgerAnswer(r: Reader): LedgerAnswer {
  const kind = r.oneOf('ledger', ['durable', 'tigerbeetle'], 'durable');
  if (kind === 'durable') return { kind };
  const clusterId = r.need(
    'tigerbeetle-cluster',
    r.get('tigerbeetle-cluster', (v) => (/^[0-9]+$/.test(v) ? undefined : 'a decimal integer')),
    'with --ledger tigerbeetle',
  );
  const replicas = r.need('tigerbeetle-replicas', r.raw('tigerbeetle-replicas'), 'with --ledger tigerbeetle');
  return {
    kind,
    clusterId,
    replicas: replicas
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
  };
}

export function answersFromOptions(flags: OptionValues, env: NodeJS.ProcessEnv): FromOptions {
  const r = new Reader(flags, env);
  const nodeId = r.get('node-id', checkSegment) ?? DEFAULTS.nodeId;
  const environment = r.oneOf('environment', ['development', 'staging', 'production'], DEFAULTS.environment);
  const peers: PeerAnswer[] = [];
  const parentUrl = r.get('parent-url', checkBtpUrl);
  if (parentUrl !== undefined) {
    peers.push({
      id: r.get('parent-id', checkSegment) ?? 'parent',
      url: parentUrl,
      relation: 'parent',
      token: r.get('parent-token', checkSecret) ?? '',
    });
  }
  for (const spec of r.all('peer')) {
    const peer = parsePeer(spec, r);
    if (peer !== undefined) peers.push(peer);
  }
  const explorer = r.raw('explorer-port');
  const deploymentMode = r.oneOf('mode', ['embedded', 'standalone'], 'embedded');
  const answers: SetupAnswers = {
    nodeId,
    environment,
    ilpAddress: parentUrl === undefined ? r.get('ilp-address', checkIlpAddress) : undefined,
    btpPort: r.port('btp-port', DEFAULTS.btpPort),
    healthPort: r.port('health-port', DEFAULTS.healthPort),
    explorerPort: explorer === 'off' ? undefined : r.port('explorer-port', DEFAULTS.explorerPort),
    deploymentMode,
    blsUrl: deploymentMode === 'standalone' ? (r.get('bls-url', checkHttpUrl) ?? DEFAULTS.blsUrl) : undefined,
    adminPort: deploymentMode === 'standalone' ? r.port('admin-port', DEFAULTS.adminPort) : undefined,
    peers,
    dataDir: r.raw('data-dir') ?? defaultDataDir(nodeId),
    ledger: ledgerAnswer(r),
    settlement: settlementAnswer(r),
  };
  return r.problems.length > 0 ? { ok: false, problems: r.problems } : { ok: true, answers };
}
