/**
 * Folders are the architecture (docs/architecture.md): imports point down only, and no file
 * imports itself back through others (type-only imports count: a cycle of types is still a
 * knot a reader must untie).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { it } from 'node:test';

const LAYERS = [
  'utils',
  'codec',
  'types',
  'config',
  'routing',
  'ledger',
  'keys',
  'btp',
  'settlement',
  'http',
  'gateway',
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

const IMPORT = /(?:\bfrom\s+|\bimport\s*\(?\s*)'(\.{1,2}\/[^']+)'/g;

/** Every relative import of a file, resolved to the .ts file it names. */
export function importsOf(file: string, source: string): string[] {
  return [...source.matchAll(IMPORT)].map((m) => resolve(dirname(file), m[1]!.replace(/\.js$/, '.ts')));
}

function layerOf(file: string): string {
  return relative(root, file).split(sep)[0]!;
}

/** Import cycles between files, each as the list of files around it (Tarjan's components). */
export function cycles(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter++);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    const selfLoop = (graph.get(node) ?? []).includes(node);
    if (component.length > 1 || selfLoop) found.push(component.sort());
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return found;
}

const graph = new Map(files(root).map((file) => [file, importsOf(file, readFileSync(file, 'utf8'))]));

it('every import in src/ points to the same or a lower layer', () => {
  const problems: string[] = [];
  for (const [file, targets] of graph) {
    const layer = layerOf(file);
    const rank = LAYERS.indexOf(layer);
    if (rank < 0) {
      if (layer !== 'index.ts') problems.push(`${layer}: folder is not in the layer list`);
      continue;
    }
    for (const target of targets) {
      const targetLayer = layerOf(target);
      if (LAYERS.indexOf(targetLayer) > rank)
        problems.push(
          `${relative(root, file)} imports ${relative(root, target)} (${targetLayer} is above ${layer})`,
        );
    }
  }
  assert.deepEqual(problems, []);
});

it('every relative import in src/ names a file that exists', () => {
  const missing = [...graph].flatMap(([file, targets]) =>
    targets.filter((t) => !graph.has(t)).map((t) => `${relative(root, file)} -> ${relative(root, t)}`),
  );
  assert.deepEqual(missing, []);
});

it('no file in src/ imports itself back through other files', () => {
  const found = cycles(graph).map((c) => c.map((f) => relative(root, f)).join(' <-> '));
  assert.deepEqual(found, []);
});

it('the cycle check sees a cycle of three files and a file importing itself', () => {
  const g = new Map([
    ['a', ['b']],
    ['b', ['c']],
    ['c', ['a', 'd']],
    ['d', []],
    ['e', ['e']],
  ]);
  assert.deepEqual(cycles(g), [['a', 'b', 'c'], ['e']]);
});

it('the import scan reads every form of relative import', () => {
  const source = [
    "import { a } from './a.js';",
    "import type { B } from '../b/index.js';",
    "export { c } from './c.js';",
    "import './side-effect.js';",
    "const d = await import('./d.js');",
    "import { e } from 'node:fs';",
  ].join('\n');
  const found = importsOf('/x/src/core/f.ts', source);
  assert.deepEqual(found, [
    '/x/src/core/a.ts',
    '/x/src/b/index.ts',
    '/x/src/core/c.ts',
    '/x/src/core/side-effect.ts',
    '/x/src/core/d.ts',
  ]);
});
