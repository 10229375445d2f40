// Prints which src/ folders each folder imports (utils/ left out): the arrows of docs/architecture.md.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const root = resolve('src');
const IMPORT = /(?:\bfrom\s+|\bimport\s*\(?\s*)'(\.{1,2}\/[^']+)'/g;
const folderOf = (file) => relative(root, file).split(sep)[0];

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const arrows = new Map();
for (const file of files(root)) {
  const from = folderOf(file);
  if (from.endsWith('.ts')) continue;
  for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
    const to = folderOf(resolve(dirname(file), m[1]));
    if (to === from || to === 'utils') continue;
    if (!arrows.has(from)) arrows.set(from, new Set());
    arrows.get(from).add(to);
  }
}
for (const [from, to] of [...arrows].sort()) console.log(`${from} -> ${[...to].sort().join(', ')}`);
