/**
 * Writes config.yaml and .env so that an interrupted run leaves no half-written file: each is
 * written to a temp file in the same directory (the .env with mode 0600 from its creation),
 * flushed, then renamed into place; .env first, so a config never names secrets that are not
 * there. Existing files are refused unless `force`.
 */
import { closeSync, existsSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const CONFIG_FILE = 'config.yaml';
export const ENV_FILE = '.env';

export interface SetupFiles {
  readonly configPath: string;
  readonly envPath: string;
}

export function setupFiles(dir: string): SetupFiles {
  return { configPath: join(dir, CONFIG_FILE), envPath: join(dir, ENV_FILE) };
}

/** The files that exist and would be overwritten. */
export function existingFiles(files: SetupFiles): string[] {
  return [files.configPath, files.envPath].filter((p) => existsSync(p));
}

const pending = new Set<string>();

function writeAtomic(path: string, text: string, mode: number): void {
  const temp = `${path}.${process.pid}.tmp`;
  pending.add(temp);
  try {
    const fd = openSync(temp, 'w', mode);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } finally {
    rmSync(temp, { force: true });
    pending.delete(temp);
  }
}

/** Removes temp files of a write that a signal cut short. */
export function removePendingFiles(): void {
  for (const temp of pending) rmSync(temp, { force: true });
  pending.clear();
}

export function writeSetupFiles(files: SetupFiles, configText: string, envText: string | undefined): void {
  if (envText !== undefined) writeAtomic(files.envPath, envText, 0o600);
  writeAtomic(files.configPath, configText, 0o644);
}
