/**
 * Every answer of `connector setup` as a flag and an environment variable, in one table:
 * `--node-id X` or CONNECTOR_SETUP_NODE_ID=X (the flag wins). Secrets can also come from their
 * usual variables (EVM_PRIVATE_KEY, EVM_MNEMONIC, ADMIN_API_KEY), and each KMS field from its own
 * variable (KEY_BACKEND_INFO), so scripts never put them on a command line.
 */
import { KEY_BACKEND_INFO } from '../../config/index.js';

export interface SetupOption {
  /** Long flag name without dashes; the variable is CONNECTOR_SETUP_ + its upper snake case. */
  readonly name: string;
  readonly arg: string;
  readonly description: string;
  /** Repeatable (`--peer` twice); the variable then holds entries separated by `;`. */
  readonly repeat?: boolean;
  /** Another variable read when neither the flag nor CONNECTOR_SETUP_* is set. */
  readonly env?: string;
}

export const SETUP_OPTIONS: readonly SetupOption[] = [
  { name: 'node-id', arg: '<id>', description: 'node id (one address segment)' },
  { name: 'environment', arg: '<env>', description: 'development | staging | production' },
  { name: 'ilp-address', arg: '<address>', description: 'own ILP address (default g.<node-id>)' },
  { name: 'parent-url', arg: '<url>', description: 'dial a parent here and take its address by IL-DCP' },
  { name: 'parent-id', arg: '<id>', description: 'id of the parent peer (default parent)' },
  {
    name: 'parent-token',
    arg: '<secret>',
    description: 'BTP secret for the parent',
    env: 'BTP_PARENT_SECRET',
  },
  { name: 'btp-port', arg: '<port>', description: 'BTP server port (default 3000)' },
  { name: 'health-port', arg: '<port>', description: 'health port (default 8080)' },
  { name: 'explorer-port', arg: '<port>', description: "Explorer port (default 3001; 'off' turns it off)" },
  { name: 'mode', arg: '<mode>', description: 'embedded | standalone (default embedded)' },
  { name: 'bls-url', arg: '<url>', description: 'standalone: business-logic server URL' },
  { name: 'admin-port', arg: '<port>', description: 'standalone: admin API port (default 8081)' },
  {
    name: 'peer',
    arg: '<spec>',
    repeat: true,
    description:
      'a peer: id=b,url=ws://host:3000,relation=peer|child,token=S,credit=N,settle=N,evm=0x.. (repeatable)',
  },
  { name: 'data-dir', arg: '<dir>', description: 'data directory (default ./data/<node-id>)' },
  { name: 'ledger', arg: '<kind>', description: 'durable | tigerbeetle (default durable)' },
  { name: 'tigerbeetle-cluster', arg: '<id>', description: 'TigerBeetle cluster id' },
  {
    name: 'tigerbeetle-replicas',
    arg: '<list>',
    description: 'TigerBeetle replica addresses, comma-separated',
  },
  { name: 'settlement', arg: '<network>', description: 'off | testnet | mainnet | custom (default off)' },
  { name: 'rpc-url', arg: '<url>', description: 'chain RPC (custom; overrides the preset base RPC)' },
  { name: 'chain-id', arg: '<id>', description: 'chain id (custom RPC)' },
  { name: 'token-address', arg: '<address>', description: 'ERC-20 token' },
  { name: 'registry-address', arg: '<address>', description: 'TokenNetworkRegistry' },
  {
    name: 'also-chain',
    arg: '<spec>',
    repeat: true,
    description:
      "a preset's other chain to settle on too: name:token:registry, e.g. arbitrum:0x..:0x.. (repeatable)",
  },
  { name: 'settle-threshold', arg: '<amount>', description: 'settle when this much is owed (ILP units)' },
  {
    name: 'key',
    arg: '<backend>',
    description: `private-key | new-mnemonic | mnemonic | ${KEY_BACKEND_INFO.filter(
      (b) => b.backend !== 'env',
    )
      .map((b) => b.backend)
      .join(' | ')}`,
  },
  {
    name: 'private-key',
    arg: '<hex>',
    description: 'key=private-key: the key (default: a new one)',
    env: 'EVM_PRIVATE_KEY',
  },
  { name: 'mnemonic', arg: '<words>', description: 'key=mnemonic: the words', env: 'EVM_MNEMONIC' },
  { name: 'derivation-path', arg: '<path>', description: "HD path (default m/44'/60'/0'/0/0)" },
  {
    name: 'admin-key',
    arg: '<key>',
    description: 'admin API key (default: generated)',
    env: 'ADMIN_API_KEY',
  },
  // One flag per KMS field, named after its variable: --aws-kms-key-id, --aws-region, ...
  ...KEY_BACKEND_INFO.flatMap((b) =>
    b.fields.map((f) => ({
      name: f.env.toLowerCase().replace(/_/g, '-'),
      arg: '<value>',
      description: `key=${b.backend}: ${f.label}`,
      env: f.env,
    })),
  ),
];

export const envNameOf = (option: SetupOption): string =>
  `CONNECTOR_SETUP_${option.name.toUpperCase().replace(/-/g, '_')}`;

/** Commander's camelCase key of a flag. */
export const keyOf = (name: string): string => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

export type OptionValues = Record<string, string | string[] | boolean | undefined>;

/** The value of option `name`: the flag, else CONNECTOR_SETUP_*, else its own variable. */
export function optionValue(name: string, flags: OptionValues, env: NodeJS.ProcessEnv): string | undefined {
  const option = SETUP_OPTIONS.find((o) => o.name === name);
  if (option === undefined) throw new Error(`unknown setup option ${name}`);
  const flag = flags[keyOf(name)];
  if (typeof flag === 'string') return flag;
  const fromEnv = env[envNameOf(option)] ?? (option.env === undefined ? undefined : env[option.env]);
  return fromEnv === '' ? undefined : fromEnv;
}

export function optionValues(name: string, flags: OptionValues, env: NodeJS.ProcessEnv): string[] {
  const flag = flags[keyOf(name)];
  if (Array.isArray(flag) && flag.length > 0) return flag;
  const option = SETUP_OPTIONS.find((o) => o.name === name)!;
  const fromEnv = env[envNameOf(option)];
  return fromEnv === undefined || fromEnv === '' ? [] : fromEnv.split(';').filter((s) => s.trim() !== '');
}
