// A `solc` executable for forge, backed by solc-js (the pinned `solc` npm package), so forge
// never downloads a compiler. It implements the two calls forge makes:
//   solc --version            prints "Version: <x.y.z+commit...>" as native solc does
//   solc --standard-json ...  compiles the standard-JSON input read from stdin
// Other flags forge passes (--base-path, --include-path, --allow-paths) only widen where
// imports may be read from; forge inlines every source, so the import callback is a fallback
// that reads only under those paths.
// contracts/solc-shim/solc is the executable wrapper forge is pointed at (contracts/foundry.toml).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, resolve, sep } from 'node:path';

const require = createRequire(import.meta.url);
const solc = require('solc');

const PATH_FLAGS = new Set(['--base-path', '--include-path', '--allow-paths']);

function parseArgs(argv) {
  const roots = [];
  let standardJson = false;
  let version = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--version') version = true;
    else if (arg === '--standard-json') standardJson = true;
    else if (PATH_FLAGS.has(arg)) {
      const value = argv[++i] ?? '';
      for (const p of value.split(',')) if (p !== '') roots.push(resolve(p));
    }
  }
  return { roots, standardJson, version };
}

function importReader(roots) {
  const bases = roots.length > 0 ? roots : [process.cwd()];
  return (path) => {
    for (const base of bases) {
      const file = isAbsolute(path) ? resolve(path) : resolve(base, path);
      if (!bases.some((root) => file === root || file.startsWith(root + sep))) continue;
      try {
        return { contents: readFileSync(file, 'utf8') };
      } catch {
        // try the next root
      }
    }
    return { error: `file not found: ${path}` };
  };
}

const args = parseArgs(process.argv.slice(2));
if (args.version) {
  process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
} else if (args.standardJson) {
  const input = readFileSync(0, 'utf8');
  process.stdout.write(solc.compile(input, { import: importReader(args.roots) }));
} else {
  process.stderr.write('solc-shim: only --version and --standard-json are supported\n');
  process.exit(2);
}
