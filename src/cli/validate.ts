import { ConfigLoader } from '../config/index.js';
import { settlementSpec } from '../settlement/index.js';
import { ConfigurationError } from '../utils/errors.js';
import { loadEnvBeside } from './env-file.js';

export function validateCommand(file: string): number {
  loadEnvBeside(file);
  const result = ConfigLoader.validate(file);
  let issues = result.ok ? [] : result.issues;
  let settles = false;
  if (result.ok) {
    // What the node checks when it is built: a settlement section with a part missing.
    try {
      settles = settlementSpec(result.config) !== undefined;
    } catch (err) {
      if (!(err instanceof ConfigurationError)) throw err;
      issues = err.issues;
    }
  }
  if (result.ok && issues.length === 0) {
    const { nodeId, peers, routes } = result.config;
    console.log(
      `${file}: valid (node ${nodeId}, ${peers.length} peer(s), ${routes.length} route(s), settlement ${settles ? 'on' : 'off'})`,
    );
    return 0;
  }
  console.error(`${file}: ${issues.length} problem(s)`);
  for (const issue of issues) console.error(`  - ${issue.path || '(root)'}: ${issue.message}`);
  return 1;
}
