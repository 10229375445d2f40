/** docs/errors.md and the ERROR_CODES registry list the same codes, and every thrown code is registered. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { ERROR_CODES } from '../../src/utils/errors.js';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

it('docs/errors.md lists exactly the registered codes', () => {
  const doc = readFileSync(join(process.cwd(), 'docs', 'errors.md'), 'utf8');
  const documented = [...doc.matchAll(/^\| `(ERR_[A-Z_]+)` \|/gm)].map((m) => m[1]).sort();
  assert.deepEqual(documented, Object.keys(ERROR_CODES).sort());
});

it('every ERR_ code used in src/ is registered', () => {
  const used = new Set<string>();
  for (const file of sources(join(process.cwd(), 'src'))) {
    for (const m of readFileSync(file, 'utf8').matchAll(/'(ERR_[A-Z_]+)'/g)) used.add(m[1]!);
  }
  const unknown = [...used].filter((code) => !(code in ERROR_CODES));
  assert.deepEqual(unknown, []);
});
