/**
 * Creation bytecode from the checked-in artifacts (contracts/artifacts/<Name>.json, built by
 * scripts/build-contracts.mjs). Found by walking up from this module, so it works from dist/
 * and from src/ alike; read once per contract.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Hex, isHex } from 'viem';
import { ConnectorError } from '../../utils/errors.js';

export type ContractName = 'TokenNetworkRegistry' | 'TokenNetwork' | 'TestToken';

const SEARCH_DEPTH_MAX = 6;
const cache = new Map<ContractName, Hex>();

function artifactPath(name: ContractName): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < SEARCH_DEPTH_MAX; i++) {
    const candidate = join(dir, 'contracts', 'artifacts', `${name}.json`);
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new ConnectorError(
    'ERR_SETTLEMENT_UNAVAILABLE',
    `contracts/artifacts/${name}.json not found above ${fileURLToPath(import.meta.url)}`,
  );
}

export function contractBytecode(name: ContractName): Hex {
  const cached = cache.get(name);
  if (cached !== undefined) return cached;
  const path = artifactPath(name);
  const { bytecode } = JSON.parse(readFileSync(path, 'utf8')) as { bytecode?: unknown };
  const hex = typeof bytecode === 'string' && !bytecode.startsWith('0x') ? `0x${bytecode}` : bytecode;
  if (typeof hex !== 'string' || hex.length <= 2 || !isHex(hex, { strict: true })) {
    throw new ConnectorError('ERR_SETTLEMENT_UNAVAILABLE', `${path} has no creation bytecode`);
  }
  cache.set(name, hex);
  return hex;
}
