/**
 * Where the page's files come from: `explorer-ui/` at the package root (the page and its
 * modules), and the browser builds of preact, htm and uPlot from node_modules, resolved through
 * the packages themselves so the Explorer works offline and without a bundler. The page maps the
 * bare specifier `preact` (imported by hooks.mjs) with an import map: see explorer-ui/index.html.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = '@toon-protocol/connector';
const MAX_LEVELS = 8;

/** The package root: the nearest parent folder whose package.json is ours (src/ or dist/src/). */
export function packageRoot(from: string = fileURLToPath(import.meta.url)): string {
  let dir = dirname(from);
  for (let i = 0; i < MAX_LEVELS; i++) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const { name } = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string };
      if (name === PACKAGE_NAME) return dir;
    }
    dir = dirname(dir);
  }
  throw new Error(`package root of ${PACKAGE_NAME} not found above ${from}`);
}

export function defaultUiDir(): string {
  return join(packageRoot(), 'explorer-ui');
}

export interface VendorFile {
  body: Buffer;
  contentType: string;
}

const JS = 'text/javascript; charset=utf-8';

/**
 * `/vendor/<name>` → the module specifier that resolves to it, and the file beside it when the
 * package's exports do not name the browser build (htm exports its ESM build only to `import`,
 * which createRequire cannot ask for; uplot has no exports map).
 */
const VENDOR: Record<string, { specifier: string; sibling?: string; contentType: string }> = {
  'preact.mjs': { specifier: 'preact', contentType: JS },
  'hooks.mjs': { specifier: 'preact/hooks', contentType: JS },
  'htm.mjs': { specifier: 'htm', sibling: 'htm.mjs', contentType: JS },
  'uplot.mjs': { specifier: 'uplot', sibling: 'uPlot.esm.js', contentType: JS },
  'uplot.css': { specifier: 'uplot', sibling: 'uPlot.min.css', contentType: 'text/css; charset=utf-8' },
};

/**
 * The vendor files, read once (about 200 KB together). A file that cannot be resolved is left
 * out and named in `missing` (its URL then answers 404); the Explorer still starts.
 */
export function loadVendorFiles(): { files: Map<string, VendorFile>; missing: string[] } {
  const require = createRequire(import.meta.url);
  const files = new Map<string, VendorFile>();
  const missing: string[] = [];
  for (const [name, { specifier, sibling, contentType }] of Object.entries(VENDOR)) {
    try {
      const entry = require.resolve(specifier);
      const path = sibling === undefined ? entry : join(dirname(entry), sibling);
      files.set(name, { body: readFileSync(path), contentType });
    } catch {
      missing.push(`${name} (${specifier})`);
    }
  }
  return { files, missing };
}
