import { ConfigLoader } from '../config/index.js';

export function validateCommand(file: string): number {
  const result = ConfigLoader.validate(file);
  if (result.ok) {
    console.log(
      `${file}: valid (node ${result.config.nodeId}, ${result.config.peers.length} peer(s), ${result.config.routes.length} route(s))`,
    );
    return 0;
  }
  console.error(`${file}: ${result.issues.length} problem(s)`);
  for (const issue of result.issues) console.error(`  - ${issue.path || '(root)'}: ${issue.message}`);
  return 1;
}
