/** Runs a node until SIGINT or SIGTERM, then stops it cleanly (in-flight packets answered). */

import { ConfigLoader } from '../config/index.js';
import { ConnectorNode } from '../core/index.js';
import { createLogger } from '../utils/logger.js';
import { loadEnvBeside } from './env-file.js';

export async function startCommand(file: string): Promise<number> {
  const envFile = loadEnvBeside(file);
  if (envFile !== undefined) process.stderr.write(`Environment: ${envFile}\n`);
  const config = ConfigLoader.load(file);
  const logger = createLogger(config.nodeId, config.logLevel);
  const node = new ConnectorNode(config, logger);
  await node.start();
  // For the person at the terminal; stdout stays JSON log lines (the 'connector started' line
  // carries the same URL as `explorerUrl`).
  const url = node.explorerUrl;
  process.stderr.write(url === undefined ? 'Explorer: off\n' : `Explorer: ${url}\n`);
  await new Promise<void>((resolve) => {
    const onSignal = (signal: string) => {
      logger.info({ signal }, 'stopping');
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  await node.stop();
  return 0;
}
