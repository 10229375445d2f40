/**
 * A command run on a pseudo terminal, typed into the way a person types: util-linux `script`
 * gives the child a pty (no native addon needed) and relays our keystrokes to it. `expect(text)`
 * waits for text printed after everything already expected (ANSI codes stripped), so a key is
 * sent only once the prompt it answers is on screen; there are no fixed sleeps.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';

export const KEY = {
  enter: '\r',
  up: '\x1b[A',
  down: '\x1b[B',
  backspace: '\x7f',
  ctrlC: '\x03',
} as const;

const ESC = String.fromCharCode(27);
const ANSI = new RegExp(`${ESC}\\[[0-9;?]*[A-Za-z]|${ESC}[()][0-9A-Za-z]|${ESC}[=>78]`, 'g');
const EXPECT_TIMEOUT_MS = 15_000;

export function scriptAvailable(): boolean {
  return spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
}

export class Terminal {
  private readonly child: ChildProcess;
  private raw = '';
  private consumed = 0;
  private waiter: (() => void) | undefined;
  readonly exited: Promise<number | null>;

  constructor(command: readonly string[], options: { cwd: string; env?: Record<string, string> }) {
    if (!scriptAvailable()) {
      throw new Error('the terminal tests need util-linux `script` (apt-get install -y bsdutils)');
    }
    const quoted = command.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    this.child = spawn('script', ['-q', '-f', '-e', '-c', quoted, '/dev/null'], {
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        TERM: 'xterm-256color',
        COLUMNS: '160',
        LINES: '50',
        ...options.env,
      },
    });
    const onData = (chunk: Buffer) => {
      this.raw += chunk.toString();
      this.waiter?.();
    };
    this.child.stdout?.on('data', onData);
    this.child.stderr?.on('data', onData);
    this.exited = once(this.child, 'exit').then(([code]) => code as number | null);
    this.exited.then(() => this.waiter?.());
  }

  /** Everything printed so far, without ANSI escapes. */
  get screen(): string {
    return this.raw.replace(ANSI, '');
  }

  /** Waits until `text` is printed after what earlier expects consumed. */
  async expect(text: string, timeoutMs = EXPECT_TIMEOUT_MS): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        const check = () => {
          const at = this.screen.indexOf(text, this.consumed);
          if (at >= 0) {
            this.consumed = at + text.length;
            this.waiter = undefined;
            resolve();
          } else if (this.child.exitCode !== null || this.child.signalCode !== null) {
            reject(new Error(`exited before printing ${JSON.stringify(text)}:\n${this.screen}`));
          }
        };
        timer = setTimeout(
          () => reject(new Error(`no ${JSON.stringify(text)} within ${timeoutMs} ms:\n${this.screen}`)),
          timeoutMs,
        );
        this.waiter = check;
        check();
      });
    } finally {
      clearTimeout(timer);
    }
  }

  type(keys: string): void {
    this.child.stdin?.write(keys);
  }

  /** Waits for `prompt`, then types `keys`. */
  async answer(prompt: string, keys: string): Promise<void> {
    await this.expect(prompt);
    this.type(keys);
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}
