/**
 * SetupAnswers → the text of config.yaml and .env. Secrets (admin key, BTP secrets, the EVM key
 * or mnemonic) go to .env only; the YAML names them as `${VAR}`, so `connector validate` and
 * `connector start` read them from the environment (or the .env beside the config).
 */
import { stringify } from 'yaml';
import { peerSecretEnvName } from '../../config/index.js';
import { PRIVATE_KEY_ENV } from '../../keys/index.js';
import type { KeyAnswer, SetupAnswers } from './answers.js';
import { extraPresetChains, settlementNetwork } from './networks.js';

export const ADMIN_KEY_ENV = 'ADMIN_API_KEY';
export const MNEMONIC_ENV = 'EVM_MNEMONIC';

export interface RenderedSetup {
  readonly config: Record<string, unknown>;
  /** Variable → secret, in the order written. */
  readonly secrets: ReadonlyMap<string, string>;
}

const ref = (name: string) => `\${${name}}`;

/** Sets `value` at a dotted path, creating objects on the way. */
function setPath(root: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let at = root;
  for (const part of parts.slice(0, -1)) {
    at[part] ??= {};
    at = at[part] as Record<string, unknown>;
  }
  at[parts[parts.length - 1]!] = value;
}

function peerEntries(answers: SetupAnswers, secrets: Map<string, string>): Record<string, unknown>[] {
  return answers.peers.map((p) => {
    let authToken = '';
    if (p.token !== '') {
      const name = peerSecretEnvName(p.id);
      secrets.set(name, p.token);
      authToken = ref(name);
    }
    const balance: Record<string, bigint> = {};
    if (p.creditLimit !== undefined) balance.maximum = p.creditLimit;
    if (p.settleThreshold !== undefined) balance.settleThreshold = p.settleThreshold;
    return {
      id: p.id,
      ...(p.url === undefined ? {} : { url: p.url }),
      relation: p.relation,
      authToken,
      ...(p.evmAddress === undefined ? {} : { evmAddress: p.evmAddress }),
      ...(Object.keys(balance).length === 0 ? {} : { balance }),
    };
  });
}

function keyFields(config: Record<string, unknown>, key: KeyAnswer, secrets: Map<string, string>): void {
  switch (key.kind) {
    case 'private-key':
      secrets.set(PRIVATE_KEY_ENV, key.privateKey);
      setPath(config, 'settlementInfra.privateKey', ref(PRIVATE_KEY_ENV));
      return;
    case 'mnemonic':
      secrets.set(MNEMONIC_ENV, key.mnemonic);
      setPath(config, 'settlementInfra.mnemonic', ref(MNEMONIC_ENV));
      if (key.derivationPath !== undefined)
        setPath(config, 'settlementInfra.derivationPath', key.derivationPath);
      return;
    case 'kms':
      // Key identifiers, not secrets: the cloud's own credentials stay in its usual places.
      setPath(config, 'security.keyBackend', key.keyBackend);
      for (const [path, value] of Object.entries(key.fields)) setPath(config, path, value);
      return;
  }
}

function settlementSections(
  answers: SetupAnswers,
  config: Record<string, unknown>,
  secrets: Map<string, string>,
) {
  const dir = answers.dataDir.replace(/\/+$/, '');
  const settlement: Record<string, unknown> = { ledgerSnapshotPath: `${dir}/ledger-snapshot.json` };
  if (answers.ledger.kind === 'tigerbeetle') {
    settlement.tigerBeetleClusterId = answers.ledger.clusterId;
    settlement.tigerBeetleReplicas = [...answers.ledger.replicas];
  }
  config.settlement = settlement;
  const s = answers.settlement;
  if (!s.enabled) return;
  if (s.threshold !== undefined) settlement.threshold = s.threshold;
  const network = settlementNetwork(s.network);
  const infra: Record<string, unknown> = {};
  if (network?.networkMode !== undefined) infra.networkMode = network.networkMode;
  infra.tokenAddress = s.tokenAddress;
  infra.registryAddress = s.registryAddress;
  config.settlementInfra = infra;
  if (network?.networkMode !== undefined) {
    if (s.rpcUrl !== undefined) infra.rpcUrl = s.rpcUrl;
    // A preset's other chains: on with their contracts, or off (an entry replaces the preset).
    const blockchain: Record<string, unknown> = {};
    for (const chain of extraPresetChains(s.network)) {
      const extra = s.extraChains.find((c) => c.name === chain.name);
      blockchain[chain.name] =
        extra === undefined
          ? { enabled: false, rpcUrl: chain.rpcUrl, chainId: chain.chainId }
          : {
              rpcUrl: chain.rpcUrl,
              chainId: chain.chainId,
              tokenAddress: extra.tokenAddress,
              registryAddress: extra.registryAddress,
            };
    }
    if (Object.keys(blockchain).length > 0) config.blockchain = blockchain;
  } else if (s.rpcUrl !== undefined && s.chainId !== undefined) {
    config.blockchain = { base: { rpcUrl: s.rpcUrl, chainId: s.chainId } };
  } else if (s.rpcUrl !== undefined) {
    infra.rpcUrl = s.rpcUrl;
  }
  keyFields(config, s.key, secrets);
}

export function renderSetup(answers: SetupAnswers, adminKey: string): RenderedSetup {
  const secrets = new Map<string, string>();
  const standalone = answers.deploymentMode === 'standalone';
  const config: Record<string, unknown> = {
    nodeId: answers.nodeId,
    environment: answers.environment,
    ...(answers.ilpAddress === undefined ? {} : { ilpAddress: answers.ilpAddress }),
    btpServerPort: answers.btpPort,
    healthCheckPort: answers.healthPort,
    deploymentMode: answers.deploymentMode,
    localDelivery: standalone ? { enabled: true, handlerUrl: answers.blsUrl } : { enabled: false },
    adminApi: { enabled: false },
    explorer:
      answers.explorerPort === undefined
        ? { enabled: false }
        : { enabled: true, port: answers.explorerPort, host: '127.0.0.1' },
    peers: peerEntries(answers, secrets),
    // Each dialed `peer` is reached at g.<id>; children and the parent are routed by IL-DCP.
    routes: answers.peers
      .filter((p) => p.relation === 'peer')
      .map((p) => ({ prefix: `g.${p.id}`, nextHop: p.id })),
  };
  if (standalone) {
    secrets.set(ADMIN_KEY_ENV, adminKey);
    config.adminApi = { enabled: true, port: answers.adminPort, apiKey: ref(ADMIN_KEY_ENV) };
  }
  settlementSections(answers, config, secrets);
  return { config, secrets };
}

export function configYaml(rendered: RenderedSetup): string {
  const header = [
    '# Written by `connector setup`. Every field: docs/config.md.',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the YAML's own ${NAME} syntax, quoted.
    '# Secrets are not in this file: each ${NAME} is read from the environment or the .env beside it.',
    '# Check: npx connector validate config.yaml    Run: npx connector start -c config.yaml',
    '',
  ].join('\n');
  return header + stringify(rendered.config, { lineWidth: 0 });
}

/**
 * Double-quoted, so a mnemonic's spaces and any `#` survive (Node's --env-file / loadEnvFile);
 * checkSecret keeps quotes and newlines out of every value.
 */
export function envFileText(secrets: ReadonlyMap<string, string>): string {
  const lines = [
    '# Secrets for config.yaml, written by `connector setup`. Keep this file private (mode 0600).',
  ];
  for (const [name, value] of secrets) lines.push(`${name}="${value}"`);
  return `${lines.join('\n')}\n`;
}
