/**
 * `connector setup`: asks (or, with --yes, reads from flags and environment) what an operator
 * must decide, then writes config.yaml and .env (secrets only, mode 0600) in --dir. The config
 * is checked as `connector validate` checks it before anything is written; existing files are
 * refused without --force; Ctrl-C writes nothing.
 */
import { randomBytes } from 'node:crypto';
import { ConfigLoader } from '../../config/index.js';
import { createSigner } from '../../keys/index.js';
import { settlementSpec } from '../../settlement/index.js';
import { ConfigurationError } from '../../utils/errors.js';
import type { SetupAnswers } from './answers.js';
import { answersFromOptions } from './from-options.js';
import { type OptionValues, optionValue } from './options.js';
import { askAnswers } from './prompts.js';
import { configYaml, envFileText, renderSetup } from './render.js';
import { existingFiles, removePendingFiles, setupFiles, writeSetupFiles } from './write-files.js';

export interface SetupCommandOptions {
  readonly yes: boolean;
  readonly force: boolean;
  readonly dir: string;
  readonly flags: OptionValues;
  readonly env?: NodeJS.ProcessEnv;
}

const EXIT_CANCELLED = 130;

/** The problems `connector validate` would list for this config, given its secrets. */
function problemsOf(config: Record<string, unknown>, secrets: ReadonlyMap<string, string>): string[] {
  const result = ConfigLoader.validate(config as never, { env: Object.fromEntries(secrets) });
  if (!result.ok) return result.issues.map((i) => `${i.path || '(root)'}: ${i.message}`);
  try {
    settlementSpec(result.config);
  } catch (err) {
    if (!(err instanceof ConfigurationError)) throw err;
    return err.issues.map((i) => `${i.path}: ${i.message}`);
  }
  return [];
}

/** The settlement address to fund, for a key held in .env. */
function settlementAddress(answers: SetupAnswers): string | undefined {
  const s = answers.settlement;
  if (!s.enabled || s.key.kind === 'kms') return undefined;
  const infra =
    s.key.kind === 'private-key'
      ? { privateKey: s.key.privateKey }
      : {
          mnemonic: s.key.mnemonic,
          ...(s.key.derivationPath === undefined ? {} : { derivationPath: s.key.derivationPath }),
        };
  return createSigner({ settlementInfra: infra }).address;
}

async function answersOf(opts: SetupCommandOptions, env: NodeJS.ProcessEnv): Promise<SetupAnswers | number> {
  if (opts.yes) {
    const result = answersFromOptions(opts.flags, env);
    if (result.ok) return result.answers;
    console.error(`connector setup: ${result.problems.length} problem(s)`);
    for (const p of result.problems) console.error(`  - ${p}`);
    return 2;
  }
  if (!process.stdin.isTTY) {
    console.error(
      'connector setup asks its questions on a terminal; without one, use --yes with flags (connector setup --help)',
    );
    return 2;
  }
  try {
    return await askAnswers((name) => optionValue(name, opts.flags, env));
  } catch (err) {
    if (err instanceof Error && err.name === 'ExitPromptError') {
      console.error('\nsetup cancelled: nothing was written');
      return EXIT_CANCELLED;
    }
    throw err;
  }
}

export async function setupCommand(opts: SetupCommandOptions): Promise<number> {
  const env = opts.env ?? process.env;
  const files = setupFiles(opts.dir);
  const existing = existingFiles(files);
  if (existing.length > 0 && !opts.force) {
    console.error(`connector setup: ${existing.join(' and ')} already exist(s); use --force to overwrite`);
    return 1;
  }
  const answers = await answersOf(opts, env);
  if (typeof answers === 'number') return answers;
  const adminKey = optionValue('admin-key', opts.flags, env) ?? randomBytes(32).toString('hex');
  const rendered = renderSetup(answers, adminKey);
  const problems = problemsOf(rendered.config, rendered.secrets);
  if (problems.length > 0) {
    console.error(`connector setup: the config would not validate; nothing was written`);
    for (const p of problems) console.error(`  - ${p}`);
    return 1;
  }
  const onSignal = () => {
    removePendingFiles();
    process.exit(EXIT_CANCELLED);
  };
  process.once('SIGINT', onSignal);
  try {
    writeSetupFiles(
      files,
      configYaml(rendered),
      rendered.secrets.size === 0 ? undefined : envFileText(rendered.secrets),
    );
  } finally {
    process.off('SIGINT', onSignal);
  }
  const lines = [`wrote ${files.configPath}`];
  if (rendered.secrets.size > 0)
    lines.push(`wrote ${files.envPath} (mode 0600): ${[...rendered.secrets.keys()].join(', ')}`);
  const address = settlementAddress(answers);
  if (address !== undefined) lines.push(`settlement address (fund it with gas and tokens): ${address}`);
  lines.push(
    'next:',
    `  npx connector validate ${files.configPath}`,
    `  npx connector start -c ${files.configPath}    (reads the .env beside it)`,
  );
  console.log(lines.join('\n'));
  return 0;
}
