/**
 * An append-only file of JSON lines with group commit: appends that arrive while a write is in
 * flight go out together in the next write, and each append resolves once its line is on disk
 * (`datasync`). Reading tolerates a torn last line (a write the kill interrupted was never
 * acknowledged) and refuses any other damage: a corrupt store must stop the start, not vanish.
 */
import { type FileHandle, mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ConnectorError } from '../utils/errors.js';

interface Pending {
  readonly line: string;
  resolve(): void;
  reject(error: unknown): void;
}

export class AppendLog {
  readonly #file: FileHandle;
  #queue: Pending[] = [];
  #writing = false;

  private constructor(file: FileHandle) {
    this.#file = file;
  }

  /**
   * Reads every complete record, then rewrites the file with `keep(records)` (which may look
   * things up first) and opens it for appends.
   */
  static async open(
    path: string,
    keep: (records: unknown[]) => readonly unknown[] | Promise<readonly unknown[]>,
  ): Promise<{ log: AppendLog; records: unknown[]; tornTail: boolean }> {
    await mkdir(dirname(path), { recursive: true });
    const { records, tornTail } = parseLines(await readText(path), path);
    const kept = await keep(records);
    // Compaction: a fresh file with only what is still needed, swapped in atomically.
    const tmp = `${path}.tmp`;
    const out = await open(tmp, 'w');
    try {
      await out.writeFile(kept.map((r) => `${JSON.stringify(r)}\n`).join(''));
      await out.sync();
    } finally {
      await out.close();
    }
    await rename(tmp, path);
    await syncDir(dirname(path));
    return { log: new AppendLog(await open(path, 'a')), records, tornTail };
  }

  append(record: unknown): Promise<void> {
    const line = `${JSON.stringify(record)}\n`;
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ line, resolve, reject });
      if (!this.#writing) void this.#flush();
    });
  }

  async close(): Promise<void> {
    while (this.#writing) await new Promise((r) => setImmediate(r));
    await this.#file.close();
  }

  async #flush(): Promise<void> {
    this.#writing = true;
    while (this.#queue.length > 0) {
      const batch = this.#queue;
      this.#queue = [];
      try {
        await this.#file.write(batch.map((p) => p.line).join(''));
        await this.#file.datasync();
        for (const p of batch) p.resolve();
      } catch (error) {
        for (const p of batch) p.reject(error);
      }
    }
    this.#writing = false;
  }
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  }
}

function parseLines(text: string, path: string): { records: unknown[]; tornTail: boolean } {
  const lines = text.split('\n');
  const last = lines.pop() ?? '';
  const records: unknown[] = [];
  lines.forEach((line, i) => {
    try {
      records.push(JSON.parse(line));
    } catch {
      throw new ConnectorError('ERR_GATEWAY_STORE', `${path} line ${i + 1} is corrupt; refusing to start`);
    }
  });
  return { records, tornTail: last !== '' };
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch {
    // Some file systems cannot fsync a directory; the rename itself is still atomic.
  } finally {
    await handle.close();
  }
}
