/**
 * ConfigLoader: YAML file or object in, validated frozen `ResolvedConfig` out.
 *
 * Pipeline: read + parse YAML (big integers exact) -> `${VAR}` substitution -> env overrides ->
 * schema -> cross-field checks -> deep freeze. Every problem is collected and thrown together as
 * one ConfigurationError, so an operator fixes a config in one pass.
 */
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { type ConfigIssue, ConfigurationError, ConnectorError } from '../utils/errors.js';
import { messageOf } from '../utils/text.js';
import { crossCheck, fromZodIssues, semanticCheck, zodErrorMap } from './checks.js';
import { applyEnvOverrides, type Env, isPlainObject, substituteVariables } from './env.js';
import {
  type ConnectorConfig,
  connectorConfigSchema,
  type DeepReadonly,
  peerSchema,
  type ResolvedConfig,
  type ResolvedPeerConfig,
} from './schema.js';

/** A config file is a few KB; anything this big is a wrong path, not a config. */
export const MAX_CONFIG_FILE_BYTES = 1024 * 1024;
/** YAML aliases expand on read; this bounds the "billion laughs" blow-up. */
const MAX_YAML_ALIASES = 100;

export interface LoadOptions {
  /** Variables for `${VAR}` and the env overrides; default `process.env`. */
  env?: Env;
  /** Directory a relative file path is resolved against; default `process.cwd()`. */
  baseDir?: string;
}

export interface ParseOptions {
  /** Variables for `${VAR}` and the env overrides; default `process.env`. */
  env?: Env;
  /** Where the config came from (a file path), for the error message. */
  source?: string;
}

export type ValidationResult =
  | { ok: true; config: ResolvedConfig }
  | { ok: false; issues: readonly ConfigIssue[]; error: ConnectorError };

/**
 * Configs this module produced. Loading one again returns it unchanged: substituting or applying
 * env overrides a second time could alter it (an escaped `$${` would now be expanded).
 */
const resolvedConfigs = new WeakSet<object>();

function isResolved(value: unknown): value is ResolvedConfig {
  return typeof value === 'object' && value !== null && resolvedConfigs.has(value);
}

function deepFreeze<T>(value: T): DeepReadonly<T> {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value as DeepReadonly<T>;
}

/** YAML is read with intAsBigInt so 2^64-1 stays exact; integers that fit a double become numbers. */
function normaliseYamlNumbers(value: unknown): unknown {
  if (typeof value === 'bigint') {
    const n = Number(value);
    return Number.isSafeInteger(n) ? n : value;
  }
  if (Array.isArray(value)) return value.map(normaliseYamlNumbers);
  if (isPlainObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normaliseYamlNumbers(v)]));
  }
  return value;
}

function readError(file: string, detail: string, cause?: unknown): ConnectorError {
  return new ConnectorError('ERR_CONFIG_READ', `cannot load config file ${file}: ${detail}`, { cause });
}

/** Reads and parses a YAML config file; every failure is an ERR_CONFIG_READ naming the file. */
export function readConfigFile(path: string, baseDir = process.cwd()): { file: string; data: unknown } {
  const file = resolve(baseDir, path);
  let text: string;
  try {
    const { size } = statSync(file);
    if (size > MAX_CONFIG_FILE_BYTES) throw readError(file, `larger than ${MAX_CONFIG_FILE_BYTES} bytes`);
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof ConnectorError) throw err;
    throw readError(file, messageOf(err), err);
  }
  const doc = parseDocument(text, { intAsBigInt: true, uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    const details = doc.errors.map((e) => {
      const pos = e.linePos?.[0];
      const where = pos ? `line ${pos.line}, column ${pos.col}: ` : '';
      return `${where}${e.message.split(' at line ')[0]}`;
    });
    throw readError(file, `invalid YAML: ${details.join('; ')}`, doc.errors[0]);
  }
  try {
    // Cycles via aliases survive toJS; substitution refuses them through its depth limit.
    const data = normaliseYamlNumbers(doc.toJS({ maxAliasCount: MAX_YAML_ALIASES }));
    return { file, data };
  } catch (err) {
    throw readError(file, messageOf(err), err);
  }
}

/** Drops issues inside a field whose `${VAR}` failed: the schema error there would only repeat it. */
function withoutShadowed(issues: readonly ConfigIssue[], failedPaths: ReadonlySet<string>): ConfigIssue[] {
  if (failedPaths.size === 0) return [...issues];
  return issues.filter((i) => ![...failedPaths].some((p) => i.path === p || i.path.startsWith(`${p}.`)));
}

/**
 * Substitutes, applies env overrides, validates and freezes a config object (e.g. parsed YAML).
 * `source` names the origin in the error message.
 */
export function parseConfigObject(input: unknown, options: ParseOptions = {}): ResolvedConfig {
  if (isResolved(input)) return input;
  const env = options.env ?? process.env;
  const substitutionIssues: ConfigIssue[] = [];
  const tree = substituteVariables(input, env, substitutionIssues);
  const envIssues: ConfigIssue[] = [];
  const envPaths = applyEnvOverrides(tree, env, envIssues);
  const result = connectorConfigSchema.safeParse(tree, { error: zodErrorMap });
  const schemaIssues = result.success
    ? semanticCheck(result.data)
    : fromZodIssues(result.error.issues, envPaths);
  const failed = new Set(substitutionIssues.map((i) => i.path));
  const issues = [
    ...substitutionIssues,
    ...envIssues,
    ...withoutShadowed([...schemaIssues, ...crossCheck(tree)], failed),
  ];
  if (!result.success || issues.length > 0) throw new ConfigurationError(issues, options.source);
  const config = deepFreeze(result.data);
  resolvedConfigs.add(config);
  return config;
}

/**
 * Validates one peer given at runtime (e.g. ConnectorNode.registerPeer, the admin API). No
 * substitution or env overrides: those are for files. Checks against other peers are the caller's.
 * Accepts the `PeerConfig` shape.
 */
export function parsePeerConfig(input: unknown): ResolvedPeerConfig {
  const result = peerSchema.safeParse(input, { error: zodErrorMap });
  if (result.success) return deepFreeze(result.data);
  throw new ConfigurationError(fromZodIssues(result.error.issues, new Map()), 'peer config');
}

// biome-ignore lint/complexity/noStaticOnlyClass: the spec exports ConfigLoader as a class.
export class ConfigLoader {
  /** Loads a YAML file (string = path) or a config object; throws ConfigurationError or ERR_CONFIG_READ. */
  static load(source: string | ConnectorConfig, options: LoadOptions = {}): ResolvedConfig {
    const env = options.env ?? process.env;
    if (typeof source !== 'string') return parseConfigObject(source, { env });
    const { file, data } = readConfigFile(source, options.baseDir);
    return parseConfigObject(data, { env, source: file });
  }

  /** Like load, but reports problems as a value; for `connector validate` and setup tools. */
  static validate(source: string | ConnectorConfig, options: LoadOptions = {}): ValidationResult {
    try {
      return { ok: true, config: ConfigLoader.load(source, options) };
    } catch (err) {
      if (err instanceof ConfigurationError) return { ok: false, issues: err.issues, error: err };
      if (err instanceof ConnectorError && err.code === 'ERR_CONFIG_READ') {
        return { ok: false, issues: [{ path: '', message: err.message }], error: err };
      }
      throw err;
    }
  }

  static parseConfigObject(input: unknown, options: ParseOptions = {}): ResolvedConfig {
    return parseConfigObject(input, options);
  }
}
