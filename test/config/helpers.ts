import assert from 'node:assert/strict';
import { ConfigLoader, type ConnectorConfig, type ResolvedConfig } from '../../src/config/index.js';

/** Tests never read process.env. */
export const NO_ENV = { env: {} };

/** The smallest valid config, plus `extra`. */
export function base(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { nodeId: 'node-a', btpServerPort: 0, peers: [], routes: [], environment: 'development', ...extra };
}

export function load(input: unknown): ResolvedConfig {
  return ConfigLoader.parseConfigObject(input, NO_ENV);
}

export function issuesOf(input: unknown): { path: string; message: string }[] {
  const result = ConfigLoader.validate(input as ConnectorConfig, NO_ENV);
  assert.equal(result.ok, false, 'expected the config to be rejected');
  return result.ok ? [] : [...result.issues];
}

export function pathsOf(input: unknown): string[] {
  return issuesOf(input).map((i) => i.path);
}
