/** Without Chromium the page tests must fail and say how to get it, never skip. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { chromiumPath } from './browser.js';

it('fails with how to install Chromium when it is missing', () => {
  const saved = process.env.CHROMIUM_PATH;
  process.env.CHROMIUM_PATH = '/nonexistent/chromium';
  try {
    assert.throws(
      () => chromiumPath(),
      /Chromium not found at \/nonexistent\/chromium.*apt-get install -y chromium/,
    );
  } finally {
    if (saved === undefined) delete process.env.CHROMIUM_PATH;
    else process.env.CHROMIUM_PATH = saved;
  }
});
