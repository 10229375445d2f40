/**
 * The snapshot: the whole posted state as JSON, written atomically (temp file, fsync, rename,
 * fsync of the directory). Amounts are decimal strings. The body carries a CRC-32 so that a
 * flipped digit is caught, not only a cut file:
 *
 *   {"format":"ilp-ledger-snapshot","version":1,"crc32":N,"body":{"journalGeneration":G,
 *    "accounts":[{"id","debitLimit"?,"creditLimit"?,"debitsPosted","creditsPosted"}],
 *    "recent":[{"id","debitAccount","creditAccount","amount","timeoutMs"?}]}}
 *
 * `journalGeneration` G: the state covers every record of journal generations 1..G.
 * `recent` lists the latest postings, oldest first; `timeoutMs` marks a posted hold.
 * Version 2 adds the in-flight holds still open and the latest memos (in-flight.ts), their
 * opaque bytes in base64: `"inFlight":[{"id","debitAccount","creditAccount","amount","timeoutMs",
 * "tag"}],"memos":[{"untilMs","data"}]`. Version 1 (without them) is still read.
 */
import { open, readFile, rename, stat } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { z } from 'zod';
import { ConnectorError } from '../../utils/errors.js';
import { messageOf } from '../../utils/text.js';
import type { PostedLedgerState } from '../memory/state.js';
import { MAX_TAG_BYTES, type PostingRecord, RECORD_TYPE } from './codec.js';
import { isCode, type JournalPaths, syncDirectory } from './files.js';
import type { InFlightBook } from './in-flight.js';
import { checkAccount, type LoadedState } from './state.js';

const FORMAT = 'ilp-ledger-snapshot';
const VERSION = 2;
/** Far above any real ledger (a million accounts and the default window take ~150 MB). */
const MAX_SNAPSHOT_BYTES = 1 << 30;

export function encodeSnapshot(
  state: PostedLedgerState,
  journalGeneration: number,
  inFlight?: InFlightBook,
  nowMs = Date.now(),
): string {
  const accounts = state.accounts.map((a) => ({
    id: a.id,
    ...(a.debitLimit === undefined ? {} : { debitLimit: a.debitLimit.toString() }),
    ...(a.creditLimit === undefined ? {} : { creditLimit: a.creditLimit.toString() }),
    debitsPosted: a.debitsPosted.toString(),
    creditsPosted: a.creditsPosted.toString(),
  }));
  const recent = state.recent.map((p) => ({
    id: p.id.toString(),
    debitAccount: p.debitAccount,
    creditAccount: p.creditAccount,
    amount: p.amount.toString(),
    ...(p.timeoutMs === 0 ? {} : { timeoutMs: p.timeoutMs }),
  }));
  const open = [...(inFlight?.open.values() ?? [])].map((r) => ({
    id: r.id.toString(),
    debitAccount: r.debitAccount,
    creditAccount: r.creditAccount,
    amount: r.amount.toString(),
    timeoutMs: r.timeoutMs,
    tag: Buffer.from(r.tag).toString('base64'),
  }));
  const memos = (inFlight?.memos(nowMs) ?? []).map((m) => ({
    untilMs: m.untilMs,
    data: Buffer.from(m.data).toString('base64'),
  }));
  const body = JSON.stringify({ journalGeneration, accounts, recent, inFlight: open, memos });
  return `{"format":"${FORMAT}","version":${VERSION},"crc32":${crc32(body)},"body":${body}}\n`;
}

export async function writeSnapshot(paths: JournalPaths, text: string): Promise<void> {
  const handle = await open(paths.tmp, 'w');
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(paths.tmp, paths.snapshot);
  await syncDirectory(paths.dir);
}

/**
 * Loads the snapshot at `paths.snapshot` into the empty `state`; returns the journal generation it
 * covers, or undefined when there is no snapshot. Throws if it is corrupt.
 */
export async function readSnapshot(paths: JournalPaths, state: LoadedState): Promise<number | undefined> {
  let text: string;
  try {
    const { size } = await stat(paths.snapshot);
    if (size > MAX_SNAPSHOT_BYTES) throw corrupt(paths, `${size} bytes, more than ${MAX_SNAPSHOT_BYTES}`);
    text = await readFile(paths.snapshot, 'utf8');
  } catch (err) {
    if (isCode(err, 'ENOENT')) return undefined;
    throw err;
  }
  return decodeSnapshot(paths, text, state);
}

const decimal = (maxDigits: number) =>
  z
    .string()
    .regex(new RegExp(`^(0|[1-9]\\d{0,${maxDigits - 1}})$`), 'a decimal integer')
    .transform(BigInt);
/** u128 has 39 digits; posted counters are sums of u128 amounts (78 digits is 2^256). */
const u128 = decimal(39).refine((v) => v < 1n << 128n, 'at most 2^128 - 1');
const counter = decimal(78);

const accountSchema = z.strictObject({
  id: z.string(),
  debitLimit: u128.optional(),
  creditLimit: u128.optional(),
  debitsPosted: counter,
  creditsPosted: counter,
});
const postingSchema = z.strictObject({
  id: u128,
  debitAccount: z.string(),
  creditAccount: z.string(),
  amount: u128,
  timeoutMs: z.number().int().min(1).optional(),
});
const base64 = (maxBytes: number) =>
  z
    .string()
    .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64')
    .transform((text) => new Uint8Array(Buffer.from(text, 'base64')))
    .refine((bytes) => bytes.length <= maxBytes, `at most ${maxBytes} bytes`);
const inFlightSchema = z.strictObject({
  id: u128,
  debitAccount: z.string(),
  creditAccount: z.string(),
  amount: u128,
  timeoutMs: z.number().int().min(1),
  tag: base64(MAX_TAG_BYTES),
});
const memoSchema = z.strictObject({
  untilMs: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  data: base64(MAX_TAG_BYTES),
});
const envelopeSchema = z.strictObject({
  format: z.literal(FORMAT),
  version: z.union([z.literal(1), z.literal(VERSION)]),
  crc32: z.number().int().min(0),
  body: z.unknown(),
});
const bodySchema = z.strictObject({
  journalGeneration: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  accounts: z.array(accountSchema),
  recent: z.array(postingSchema),
  inFlight: z.array(inFlightSchema).optional(),
  memos: z.array(memoSchema).optional(),
});

function decodeSnapshot(paths: JournalPaths, text: string, state: LoadedState): number {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw corrupt(paths, `not JSON (${messageOf(err)})`);
  }
  const envelope = envelopeSchema.safeParse(json);
  if (!envelope.success) throw corrupt(paths, z.prettifyError(envelope.error));
  // JSON.stringify reproduces the bytes it wrote: parse then stringify is the identity on them.
  if (crc32(JSON.stringify(envelope.data.body)) !== envelope.data.crc32) {
    throw corrupt(paths, 'checksum mismatch');
  }
  const body = bodySchema.safeParse(envelope.data.body);
  if (!body.success) throw corrupt(paths, z.prettifyError(body.error));
  for (const a of body.data.accounts) {
    if (state.accounts.has(a.id)) throw corrupt(paths, `account ${JSON.stringify(a.id)} appears twice`);
    const refused = checkAccount(a.id, a.debitLimit, a.creditLimit);
    if (refused !== undefined) throw corrupt(paths, refused);
    state.setAccount(a.id, a.debitLimit, a.creditLimit);
    state.setPosted(a.id, a.debitsPosted, a.creditsPosted);
  }
  // A smaller window than the one that wrote the snapshot keeps only the latest postings.
  for (const r of body.data.recent.slice(-state.capacity)) {
    const { id, debitAccount, creditAccount, amount } = r;
    const p: PostingRecord =
      r.timeoutMs === undefined
        ? { type: RECORD_TYPE.transfer, id, debitAccount, creditAccount, amount, timeoutMs: 0 }
        : { type: RECORD_TYPE.posted, id, debitAccount, creditAccount, amount, timeoutMs: r.timeoutMs };
    const refused = state.checkPosting(p);
    if (refused !== undefined) throw corrupt(paths, refused);
    state.remember(p);
  }
  if (envelope.data.version === 1 && (body.data.inFlight ?? body.data.memos) !== undefined) {
    throw corrupt(paths, 'version 1 has no in-flight holds or memos');
  }
  for (const r of body.data.inFlight ?? []) {
    const { id, debitAccount, creditAccount, amount, timeoutMs, tag } = r;
    state.inFlight?.apply({
      type: RECORD_TYPE.inFlight,
      id,
      debitAccount,
      creditAccount,
      amount,
      timeoutMs,
      tag,
    });
  }
  for (const m of body.data.memos ?? []) state.inFlight?.addMemo({ type: RECORD_TYPE.memo, ...m });
  const plan = state.plan();
  if (typeof plan === 'string') throw corrupt(paths, plan);
  return body.data.journalGeneration;
}

function corrupt(paths: JournalPaths, why: string): ConnectorError {
  return new ConnectorError('ERR_LEDGER', `ledger snapshot ${paths.snapshot} is corrupt: ${why}`);
}
