/** The human-readable ABIs in src/settlement/chain/abi.ts match the checked-in artifacts item for item. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { testTokenAbi, tokenNetworkAbi, tokenNetworkRegistryAbi } from '../../src/settlement/chain/abi.js';

type Item = Record<string, unknown>;

/** Drops what the human-readable form cannot carry (internalType, defaults) and sorts the items. */
function canonical(abi: readonly unknown[]): string[] {
  const strip = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(strip);
    if (value === null || typeof value !== 'object') return value;
    const out: Item = {};
    for (const key of Object.keys(value as Item).sort()) {
      if (key === 'internalType') continue;
      const field = (value as Item)[key];
      // parseAbi leaves out what solc writes as defaults: `indexed`/`anonymous` false, `name` ''.
      if ((key === 'indexed' || key === 'anonymous') && field === false) continue;
      if (key === 'name' && field === '') continue;
      out[key] = strip(field);
    }
    return out;
  };
  return abi.map((item) => JSON.stringify(strip(item))).sort();
}

function artifactAbi(name: string): unknown[] {
  const path = join(process.cwd(), 'contracts', 'artifacts', `${name}.json`);
  return (JSON.parse(readFileSync(path, 'utf8')) as { abi: unknown[] }).abi;
}

for (const [name, abi] of [
  ['TokenNetwork', tokenNetworkAbi],
  ['TokenNetworkRegistry', tokenNetworkRegistryAbi],
  ['TestToken', testTokenAbi],
] as const) {
  it(`${name}: abi.ts matches contracts/artifacts/${name}.json`, () => {
    assert.deepEqual(canonical(abi), canonical(artifactAbi(name)));
  });
}
