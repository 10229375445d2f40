/** Folders are the architecture (docs/architecture.md): imports point down only. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { it } from 'node:test';

const LAYERS = [
  'utils',
  'codec',
  'config',
  'routing',
  'ledger',
  'keys',
  'btp',
  'settlement',
  'http',
  'core',
  'cli',
];
const root = join(process.cwd(), 'src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

it('every import in src/ points to the same or a lower layer', () => {
  const problems: string[] = [];
  for (const file of files(root)) {
    const layer = relative(root, file).split(sep)[0]!;
    const rank = LAYERS.indexOf(layer);
    if (rank < 0) {
      if (layer !== 'index.ts') problems.push(`${layer}: folder is not in the layer list`);
      continue;
    }
    const source = readFileSync(file, 'utf8');
    for (const m of source.matchAll(/from '(\.\.\/[^']+)'/g)) {
      const target = m[1]!.split('/').find((part) => part !== '..');
      const targetRank = LAYERS.indexOf(target ?? '');
      if (targetRank > rank)
        problems.push(`${relative(root, file)} imports ${m[1]} (${target} is above ${layer})`);
    }
  }
  assert.deepEqual(problems, []);
});
