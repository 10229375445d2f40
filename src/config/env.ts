/**
 * The environment's part in configuration: `${VAR}` substitution in string values, the spec's env
 * var overrides, and the BTP auth lookups (per-peer secrets, BTP_ALLOW_NOAUTH).
 *
 * Everything takes the env map as a parameter so tests and embedders never depend on process.env.
 */
import type { ConfigIssue } from '../utils/errors.js';
import type { ResolvedConfig } from './schema.js';

export type Env = Readonly<Record<string, string | undefined>>;

/** Config trees deeper than this are refused: YAML aliases and JS objects can be cyclic. */
export const MAX_CONFIG_DEPTH = 32;

/** How an env var's text becomes a config value before validation. */
export type EnvValueKind = 'string' | 'keyword' | 'int' | 'bool' | 'list' | 'amount';

export interface EnvOverride {
  readonly name: string;
  readonly path: readonly string[];
  readonly kind: EnvValueKind;
}

/** The spec's env vars and the config field each one overrides (documented in docs/config.md). */
export const ENV_OVERRIDES: readonly EnvOverride[] = [
  { name: 'LOG_LEVEL', path: ['logLevel'], kind: 'keyword' },
  { name: 'ADMIN_API_KEY', path: ['adminApi', 'apiKey'], kind: 'string' },
  { name: 'ADMIN_API_ALLOWED_IPS', path: ['adminApi', 'allowedIPs'], kind: 'list' },
  { name: 'ADMIN_API_TRUST_PROXY', path: ['adminApi', 'trustProxy'], kind: 'bool' },
  { name: 'LOCAL_DELIVERY_AUTH_TOKEN', path: ['localDelivery', 'authToken'], kind: 'string' },
  { name: 'EXPLORER_ENABLED', path: ['explorer', 'enabled'], kind: 'bool' },
  { name: 'EXPLORER_PORT', path: ['explorer', 'port'], kind: 'int' },
  { name: 'EXPLORER_RETENTION_DAYS', path: ['explorer', 'retentionDays'], kind: 'int' },
  { name: 'EXPLORER_MAX_EVENTS', path: ['explorer', 'maxEvents'], kind: 'int' },
  { name: 'EXPLORER_HOST', path: ['explorer', 'host'], kind: 'string' },
  { name: 'EXPLORER_API_KEY', path: ['explorer', 'apiKey'], kind: 'string' },
  { name: 'EXPLORER_STORE_PATH', path: ['explorer', 'storePath'], kind: 'string' },
  { name: 'LEDGER_SNAPSHOT_PATH', path: ['settlement', 'ledgerSnapshotPath'], kind: 'string' },
  { name: 'LEDGER_PERSIST_INTERVAL_MS', path: ['settlement', 'ledgerPersistIntervalMs'], kind: 'int' },
  { name: 'LEDGER_DURABILITY', path: ['settlement', 'ledgerDurability'], kind: 'keyword' },
  { name: 'LEDGER_RECONCILE_IN_FLIGHT', path: ['settlement', 'reconcileInFlight'], kind: 'bool' },
  { name: 'TIGERBEETLE_CLUSTER_ID', path: ['settlement', 'tigerBeetleClusterId'], kind: 'amount' },
  { name: 'TIGERBEETLE_REPLICAS', path: ['settlement', 'tigerBeetleReplicas'], kind: 'list' },
  { name: 'SETTLEMENT_ENABLED', path: ['settlement', 'enabled'], kind: 'bool' },
  { name: 'SETTLEMENT_THRESHOLD', path: ['settlement', 'threshold'], kind: 'amount' },
  { name: 'SETTLEMENT_POLLING_INTERVAL', path: ['settlement', 'pollingIntervalMs'], kind: 'int' },
  { name: 'SETTLEMENT_STATE_PATH', path: ['settlement', 'statePath'], kind: 'string' },
  { name: 'BASE_L2_RPC_URL', path: ['settlementInfra', 'rpcUrl'], kind: 'string' },
  { name: 'EVM_PRIVATE_KEY', path: ['settlementInfra', 'privateKey'], kind: 'string' },
  { name: 'M2M_TOKEN_ADDRESS', path: ['settlementInfra', 'tokenAddress'], kind: 'string' },
  { name: 'TOKEN_NETWORK_REGISTRY', path: ['settlementInfra', 'registryAddress'], kind: 'string' },
  { name: 'NETWORK_MODE', path: ['settlementInfra', 'networkMode'], kind: 'keyword' },
  { name: 'KEY_BACKEND', path: ['security', 'keyBackend'], kind: 'keyword' },
  { name: 'AWS_KMS_KEY_ID', path: ['security', 'awsKms', 'keyId'], kind: 'string' },
  { name: 'AWS_REGION', path: ['security', 'awsKms', 'region'], kind: 'string' },
  { name: 'AWS_KMS_ENDPOINT', path: ['security', 'awsKms', 'endpoint'], kind: 'string' },
  { name: 'GCP_KMS_KEY_NAME', path: ['security', 'gcpKms', 'keyName'], kind: 'string' },
  { name: 'GCP_KMS_API_ENDPOINT', path: ['security', 'gcpKms', 'apiEndpoint'], kind: 'string' },
  { name: 'AZURE_KEY_VAULT_URL', path: ['security', 'azureKeyVault', 'vaultUrl'], kind: 'string' },
  { name: 'AZURE_KEY_NAME', path: ['security', 'azureKeyVault', 'keyName'], kind: 'string' },
  { name: 'AZURE_KEY_VERSION', path: ['security', 'azureKeyVault', 'keyVersion'], kind: 'string' },
  { name: 'BTP_ALLOW_NOAUTH', path: ['btp', 'allowNoAuth'], kind: 'bool' },
];

// `$${` is an escape; `${` must be closed; the body is NAME or NAME:-default (no nesting).
const REFERENCE = /\$\$\{|\$\{([^}]*)(\}?)/g;
const REFERENCE_BODY = /^([A-Za-z_][A-Za-z0-9_]*)(?::-([\s\S]*))?$/;

function joinPath(parent: string, key: string): string {
  return parent === '' ? key : `${parent}.${key}`;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Expands `${VAR}` and `${VAR:-default}` (default when unset or empty, as in POSIX sh). */
function expand(text: string, env: Env, path: string, issues: ConfigIssue[]): string {
  if (!text.includes('${')) return text;
  return text.replace(REFERENCE, (match: string, body: string | undefined, close: string | undefined) => {
    if (match === '$${') return '${';
    if (close !== '}') {
      issues.push({ path, message: 'unterminated ${ (write $${ for a literal ${)' });
      return match;
    }
    const parsed = REFERENCE_BODY.exec(body ?? '');
    if (parsed === null) {
      issues.push({ path, message: `invalid reference ${match}: expected \${NAME} or \${NAME:-default}` });
      return match;
    }
    const [, name = '', fallback] = parsed;
    const value = env[name];
    if (fallback !== undefined && (value === undefined || value === '')) return fallback;
    if (value === undefined) {
      issues.push({ path, message: `environment variable ${name} is not set` });
      return match;
    }
    return value;
  });
}

/**
 * Returns a copy of `value` with every string expanded; problems go to `issues` with their path.
 * Substituted text is not expanded again, so a variable's value cannot inject references.
 */
export function substituteVariables(
  value: unknown,
  env: Env,
  issues: ConfigIssue[],
  path = '',
  depth = 0,
): unknown {
  if (typeof value === 'string') return expand(value, env, path, issues);
  if (!Array.isArray(value) && !isPlainObject(value)) return value;
  if (depth >= MAX_CONFIG_DEPTH) {
    issues.push({ path, message: `nested deeper than ${MAX_CONFIG_DEPTH} levels (is it cyclic?)` });
    return undefined;
  }
  if (Array.isArray(value)) {
    return value.map((item, i) =>
      substituteVariables(item, env, issues, joinPath(path, String(i)), depth + 1),
    );
  }
  // fromEntries defines own properties, so a `__proto__` key stays a key and never a prototype.
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k,
      substituteVariables(v, env, issues, joinPath(path, k), depth + 1),
    ]),
  );
}

function quote(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}...` : text);
}

function parseEnvValue(o: EnvOverride, text: string): { value: unknown } | { problem: string } {
  const field = o.path.join('.');
  switch (o.kind) {
    case 'string':
      return { value: text };
    case 'keyword':
      return { value: text.trim().toLowerCase() };
    case 'list':
      return {
        value: text
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== ''),
      };
    case 'bool': {
      const v = text.trim().toLowerCase();
      if (v === 'true' || v === 'false') return { value: v === 'true' };
      return { problem: `expected true or false for ${field}, got ${quote(text)}` };
    }
    case 'int':
    case 'amount': {
      const v = text.trim();
      if (!/^[0-9]+$/.test(v))
        return { problem: `expected a non-negative integer for ${field}, got ${quote(text)}` };
      // Amounts stay decimal strings so the schema converts them to bigint without rounding.
      return { value: o.kind === 'int' ? Number(v) : v };
    }
  }
}

function setPath(root: Record<string, unknown>, path: readonly string[], value: unknown): boolean {
  let node = root;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (next === undefined) node[key] = {};
    else if (!isPlainObject(next)) return false; // the schema reports the malformed section
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1] ?? ''] = value;
  return true;
}

/**
 * Applies ENV_OVERRIDES to `tree` in place (call it on the substituted copy). An empty variable
 * counts as unset, as in docker-compose files where `KEY=` is common. Returns the dotted paths that
 * were overridden with the variable that set each, so later issues can name the variable.
 */
export function applyEnvOverrides(tree: unknown, env: Env, issues: ConfigIssue[]): Map<string, string> {
  const applied = new Map<string, string>();
  if (!isPlainObject(tree)) return applied;
  for (const o of ENV_OVERRIDES) {
    const text = env[o.name];
    if (text === undefined || text === '') continue;
    const parsed = parseEnvValue(o, text);
    if ('problem' in parsed) {
      issues.push({ path: `env.${o.name}`, message: parsed.problem });
    } else if (setPath(tree, o.path, parsed.value)) {
      applied.set(o.path.join('.'), o.name);
    }
  }
  return applied;
}

/** `BTP_PEER_<ID>_SECRET` with the id uppercased and '-' and '.' replaced by '_' (spec). */
export function peerSecretEnvName(peerId: string): string {
  return `BTP_PEER_${peerId.toUpperCase().replace(/[-.]/g, '_')}_SECRET`;
}

/** The shared secret a dialing peer must present, from the environment; undefined when unset. */
export function resolvePeerSecret(peerId: string, env: Env = process.env): string | undefined {
  return env[peerSecretEnvName(peerId)];
}

/**
 * Whether an empty BTP secret is accepted. Permissionless is the spec's default; either switch set
 * to false turns it off, so the stricter setting always wins.
 */
export function allowNoAuth(config: Pick<ResolvedConfig, 'btp'>, env: Env = process.env): boolean {
  if (env.BTP_ALLOW_NOAUTH?.trim().toLowerCase() === 'false') return false;
  return config.btp.allowNoAuth !== false;
}
