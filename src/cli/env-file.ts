/**
 * The `.env` beside a config file (as `connector setup` writes it) is read into process.env
 * before the config is loaded; variables already set win (process.loadEnvFile's rule).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

export function loadEnvBeside(configFile: string): string | undefined {
  const path = join(dirname(configFile), '.env');
  if (!existsSync(path)) return undefined;
  process.loadEnvFile(path);
  return path;
}
