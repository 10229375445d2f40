/** The page asks only for types the store knows (else 400) and shows every type somewhere. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { NODE_EVENT_TYPES } from '../../src/types/index.js';

interface PageTypes {
  PACKET_TYPES: string[];
  CHANNEL_TYPES: string[];
  LOG_TYPES: string[];
}

const load = async (): Promise<PageTypes> =>
  (await import(pathToFileURL(join(process.cwd(), 'explorer-ui', 'event-types.js')).href)) as PageTypes;

it("the page's event types are the contract's, each shown by a panel", async () => {
  const page = await load();
  const known: readonly string[] = NODE_EVENT_TYPES;
  for (const [name, list] of Object.entries(page) as [string, string[]][]) {
    assert.deepEqual(
      list.filter((t) => !known.includes(t)),
      [],
      `${name} names types the store refuses`,
    );
  }
  const shown = new Set([...page.PACKET_TYPES, ...page.LOG_TYPES]);
  assert.deepEqual(
    known.filter((t) => !shown.has(t)),
    [],
    'types no panel shows',
  );
  assert.ok(page.CHANNEL_TYPES.every((t) => page.LOG_TYPES.includes(t)));
});
