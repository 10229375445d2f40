/**
 * Top functions by self time in a V8 .cpuprofile (as written by `node --cpu-prof`, e.g. by
 * `npm run bench -- --profile ours`), grouped by function and source location, plus the share
 * per file. For "Where the time goes" in docs/perf.md.
 *
 *   node dist/bench/profile-top.js bench-profiles/CPU.*.cpuprofile [--top 25]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function shortUrl(url: string): string {
  if (url === '') return '(native)';
  const at = url.search(/\/(dist|node_modules)\//);
  return at >= 0 ? url.slice(at + 1) : url.replace(/^file:\/\//, '');
}

function selfTimes(profile: Profile): {
  byFunction: Map<string, number>;
  byFile: Map<string, number>;
  totalUs: number;
} {
  const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  let totalUs = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    const f = frames.get(id);
    if (f === undefined) return;
    totalUs += dt;
    const file = shortUrl(f.url);
    const name = `${f.functionName || '(anonymous)'} ${file}${f.url === '' ? '' : `:${f.lineNumber + 1}`}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + dt);
    byFile.set(file, (byFile.get(file) ?? 0) + dt);
  });
  return { byFunction, byFile, totalUs };
}

function table(title: string, map: Map<string, number>, totalUs: number, top: number): string {
  const rows = [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  const lines = [`| ${title} | self ms | share |`, '| --- | ---: | ---: |'];
  for (const [name, us] of rows)
    lines.push(`| ${name} | ${(us / 1000).toFixed(0)} | ${((100 * us) / totalUs).toFixed(1)}% |`);
  return lines.join('\n');
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string' } } });
const top = Number(values.top ?? 25);
for (const file of positionals) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const { byFunction, byFile, totalUs } = selfTimes(profile);
  console.log(`\n${file}: ${(totalUs / 1e6).toFixed(1)} s sampled\n`);
  console.log(table('function (self time)', byFunction, totalUs, top));
  console.log(`\n${table('file', byFile, totalUs, 15)}`);
}
