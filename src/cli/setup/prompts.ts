/**
 * The interactive form of `connector setup` (@inquirer/prompts): one question at a time, each
 * with its default and the same checks as the flags (answers.ts). `preset(name)` gives a flag's
 * value (options.ts), offered as the default. Ctrl-C rejects with inquirer's ExitPromptError.
 */
import { confirm, input, password, select } from '@inquirer/prompts';
import { english, generateMnemonic, generatePrivateKey } from 'viem/accounts';
import { KEY_BACKEND_INFO, type KeyBackend } from '../../config/index.js';
import {
  asPromptCheck,
  checkAmount,
  checkBtpUrl,
  checkEvmAddress,
  checkHttpUrl,
  checkIlpAddress,
  checkMnemonicText,
  checkNonEmpty,
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
  type SettlementAnswer,
  type SetupAnswers,
} from './answers.js';
import { CUSTOM_NETWORK, extraPresetChains, SETTLEMENT_NETWORKS, settlementNetwork } from './networks.js';

export type Preset = (name: string) => string | undefined;

type Check = (v: string) => string | undefined;
const optional = (check: Check) => (v: string) => (v.trim() === '' ? undefined : check(v.trim()));

async function text(message: string, check: Check, fallback?: string): Promise<string> {
  const value = await input({
    message,
    ...(fallback === undefined ? {} : { default: fallback }),
    validate: asPromptCheck(check),
  });
  return value.trim();
}

async function optionalText(message: string, check: Check, fallback?: string): Promise<string | undefined> {
  const value = await text(message, optional(check), fallback);
  return value === '' ? undefined : value;
}

async function port(message: string, fallback: number, preset: Preset, name: string): Promise<number> {
  return Number(await text(message, checkPort, preset(name) ?? String(fallback)));
}

async function secret(message: string, check: Check): Promise<string> {
  return password({ message, mask: '*', validate: asPromptCheck(check) });
}

async function address(
  nodeId: string,
  preset: Preset,
): Promise<{ ilpAddress?: string; parent?: PeerAnswer }> {
  const how = await select({
    message: 'ILP address',
    choices: [
      { name: `g.${nodeId} (from the node id)`, value: 'default' },
      { name: 'another address', value: 'own' },
      { name: 'assigned by a parent connector (IL-DCP)', value: 'parent' },
    ],
    default:
      preset('parent-url') !== undefined ? 'parent' : preset('ilp-address') !== undefined ? 'own' : 'default',
  });
  if (how === 'default') return {};
  if (how === 'own') return { ilpAddress: await text('Address', checkIlpAddress, preset('ilp-address')) };
  const url = await text('Parent BTP URL', checkBtpUrl, preset('parent-url'));
  const id = await text('Parent peer id', checkSegment, preset('parent-id') ?? 'parent');
  const token = await secret('Parent BTP secret (empty: permissionless)', checkSecret);
  return { parent: { id, url, relation: 'parent', token } };
}

async function peer(settles: boolean): Promise<PeerAnswer> {
  const id = await text('Peer id', checkSegment);
  const relation = await select({
    message: `Relation of ${id}`,
    choices: [
      { name: `peer (routes to g.${id})`, value: 'peer' as const },
      { name: 'child (gets an address under ours by IL-DCP)', value: 'child' as const },
    ],
  });
  const url = await optionalText(`URL to dial ${id} (empty: it dials in)`, checkBtpUrl);
  const token = await secret(`BTP secret shared with ${id} (empty: permissionless)`, checkSecret);
  const credit = await optionalText(`Credit limit for ${id}, ILP units (empty: none)`, checkAmount);
  const settle = await optionalText(
    `Settle threshold with ${id}, ILP units (empty: the node's)`,
    checkAmount,
  );
  const evm = settles
    ? await optionalText(`EVM address of ${id} (empty: no settlement with it)`, checkEvmAddress)
    : undefined;
  return {
    id,
    url,
    relation,
    token,
    creditLimit: credit === undefined ? undefined : BigInt(credit),
    settleThreshold: settle === undefined ? undefined : BigInt(settle),
    evmAddress: evm,
  };
}

async function ledger(preset: Preset): Promise<LedgerAnswer> {
  const kind = await select({
    message: 'Ledger',
    choices: [
      { name: 'durable file (journal + snapshots in the data directory)', value: 'durable' as const },
      { name: 'TigerBeetle cluster', value: 'tigerbeetle' as const },
    ],
    default: preset('ledger') === 'tigerbeetle' ? 'tigerbeetle' : 'durable',
  });
  if (kind === 'durable') return { kind };
  const clusterId = await text(
    'TigerBeetle cluster id',
    (v) => (/^[0-9]+$/.test(v) ? undefined : 'a decimal integer'),
    preset('tigerbeetle-cluster') ?? '0',
  );
  const replicas = await text(
    'TigerBeetle replicas (comma-separated)',
    checkNonEmpty,
    preset('tigerbeetle-replicas') ?? '3000',
  );
  return {
    kind,
    clusterId,
    replicas: replicas
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
  };
}

async function key(): Promise<KeyAnswer> {
  const kms = KEY_BACKEND_INFO.filter((b) => b.backend !== 'env');
  const kind = await select({
    message: 'Signing key',
    choices: [
      { name: 'a new HD wallet mnemonic (written to .env)', value: 'new-mnemonic' },
      { name: 'my mnemonic', value: 'mnemonic' },
      { name: 'a new private key (written to .env; development)', value: 'new-key' },
      { name: 'my private key (development)', value: 'private-key' },
      ...kms.map((b) => ({ name: b.title, value: b.backend as string })),
    ],
  });
  switch (kind) {
    case 'new-mnemonic':
      return { kind: 'mnemonic', mnemonic: generateMnemonic(english) };
    case 'mnemonic': {
      const mnemonic = await secret('Mnemonic', checkMnemonicText);
      const path = await text('Derivation path', checkPath, DEFAULTS.derivationPath);
      return {
        kind: 'mnemonic',
        mnemonic,
        derivationPath: path === DEFAULTS.derivationPath ? undefined : path,
      };
    }
    case 'new-key':
      return { kind: 'private-key', privateKey: generatePrivateKey() };
    case 'private-key':
      return { kind: 'private-key', privateKey: await secret('Private key (0x + 64 hex)', checkPrivateKey) };
    default: {
      const info = kms.find((b) => b.backend === kind)!;
      const fields: Record<string, string> = {};
      for (const f of info.fields) {
        const value = f.required
          ? await text(`${info.backend}: ${f.label}`, checkNonEmpty)
          : await optionalText(`${info.backend}: ${f.label} (optional)`, () => undefined);
        if (value !== undefined) fields[f.path] = value;
      }
      return { kind: 'kms', keyBackend: kind as Exclude<KeyBackend, 'env'>, fields };
    }
  }
}

async function settlement(preset: Preset): Promise<SettlementAnswer> {
  const network = await select({
    message: 'Settlement on chain',
    choices: [
      { name: 'off', value: 'off' },
      ...SETTLEMENT_NETWORKS.map((n) => ({ name: n.title, value: n.id })),
    ],
    default: preset('settlement') ?? 'off',
  });
  if (network === 'off') return { enabled: false };
  const known = settlementNetwork(network);
  const custom = network === CUSTOM_NETWORK;
  const rpcUrl = custom
    ? await text('RPC URL', checkRpcUrl, preset('rpc-url'))
    : await optionalText("RPC URL (empty: the preset's public RPC)", checkRpcUrl, preset('rpc-url'));
  const chainId = custom
    ? await optionalText('Chain id (empty: ask the RPC)', checkPositiveInt, preset('chain-id'))
    : undefined;
  const tokenAddress = await text(
    'Token (ERC-20) address',
    checkEvmAddress,
    preset('token-address') ?? known?.tokenAddress,
  );
  const registryAddress = await text(
    'TokenNetworkRegistry address',
    checkEvmAddress,
    preset('registry-address') ?? known?.registryAddress,
  );
  const threshold = await optionalText(
    'Settle when owed at least (ILP units; empty: on the polling interval)',
    checkAmount,
    preset('settle-threshold'),
  );
  const extraChains: ExtraChainAnswer[] = [];
  for (const chain of extraPresetChains(network)) {
    if (
      !(await confirm({ message: `Also settle on ${chain.name} (chain ${chain.chainId})?`, default: false }))
    )
      continue;
    extraChains.push({
      name: chain.name,
      tokenAddress: await text(`${chain.name}: token address`, checkEvmAddress),
      registryAddress: await text(`${chain.name}: TokenNetworkRegistry address`, checkEvmAddress),
    });
  }
  return {
    enabled: true,
    network,
    rpcUrl,
    chainId: chainId === undefined ? undefined : Number(chainId),
    tokenAddress,
    registryAddress,
    threshold: threshold === undefined ? undefined : BigInt(threshold),
    extraChains,
    key: await key(),
  };
}

export async function askAnswers(preset: Preset): Promise<SetupAnswers> {
  const nodeId = await text('Node id', checkSegment, preset('node-id') ?? DEFAULTS.nodeId);
  const environment = await select({
    message: 'Environment',
    choices: [
      { name: 'development', value: 'development' as const },
      { name: 'staging', value: 'staging' as const },
      { name: 'production (the admin API must have a key)', value: 'production' as const },
    ],
  });
  const { ilpAddress, parent } = await address(nodeId, preset);
  const btpPort = await port('BTP port', DEFAULTS.btpPort, preset, 'btp-port');
  const healthPort = await port('Health port', DEFAULTS.healthPort, preset, 'health-port');
  const explorerOn = await confirm({
    message: 'Run the Explorer (live dashboard)?',
    default: preset('explorer-port') !== 'off',
  });
  const explorerPort = explorerOn
    ? await port('Explorer port', DEFAULTS.explorerPort, preset, 'explorer-port')
    : undefined;
  const deploymentMode = await select({
    message: 'Deployment mode',
    choices: [
      { name: 'embedded (your code handles packets in-process)', value: 'embedded' as const },
      {
        name: 'standalone (packets go to your BLS over HTTP; admin API with a generated key)',
        value: 'standalone' as const,
      },
    ],
    default: preset('mode') === 'standalone' ? 'standalone' : 'embedded',
  });
  const standalone = deploymentMode === 'standalone';
  const blsUrl = standalone
    ? await text('BLS URL', checkHttpUrl, preset('bls-url') ?? DEFAULTS.blsUrl)
    : undefined;
  const adminPort = standalone
    ? await port('Admin API port', DEFAULTS.adminPort, preset, 'admin-port')
    : undefined;
  const dataDir = await text('Data directory', checkNonEmpty, preset('data-dir') ?? defaultDataDir(nodeId));
  const ledgerAnswer = await ledger(preset);
  const settlementAnswer = await settlement(preset);
  const peers: PeerAnswer[] = parent === undefined ? [] : [parent];
  while (
    await confirm({ message: peers.length === 0 ? 'Add a peer?' : 'Add another peer?', default: false })
  ) {
    peers.push(await peer(settlementAnswer.enabled));
  }
  return {
    nodeId,
    environment,
    ilpAddress,
    btpPort,
    healthPort,
    explorerPort,
    deploymentMode,
    blsUrl,
    adminPort,
    peers,
    dataDir,
    ledger: ledgerAnswer,
    settlement: settlementAnswer,
  };
}
