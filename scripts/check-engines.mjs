// Fails when an installed package's `engines.node` excludes the running Node (npm only warns):
// the README promises Node >= 20.19, so a dependency that needs Node 22 must be pinned or
// overridden (package.json "overrides"). Run by `npm run check:engines` and test/engines.test.ts.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';

const root = process.argv[2] ?? process.cwd();
const lockPath = join(root, 'package-lock.json');
const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
const node = process.versions.node;
const problems = [];
let checked = 0;
for (const [path, entry] of Object.entries(lock.packages ?? {})) {
  if (path === '') continue;
  const manifest = join(root, path, 'package.json');
  // Optional packages for other platforms (and unneeded optional SDKs) may be absent.
  if (!existsSync(manifest)) continue;
  const range = JSON.parse(readFileSync(manifest, 'utf8')).engines?.node ?? entry.engines?.node;
  if (typeof range !== 'string') continue;
  checked++;
  if (!semver.satisfies(node, range, { includePrerelease: true })) {
    problems.push(`${path.replace(/^node_modules\//, '')}@${entry.version}: engines.node "${range}"`);
  }
}
if (problems.length > 0) {
  console.error(`Node ${node} is excluded by ${problems.length} installed package(s):`);
  for (const p of problems) console.error(`  - ${p}`);
  console.error('Pin a version that supports it, or add an "overrides" entry in package.json.');
  process.exit(1);
}
console.log(`engines: ${checked} installed packages accept Node ${node}`);
