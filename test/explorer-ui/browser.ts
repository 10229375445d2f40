/**
 * Headless Chromium for the Explorer page tests: Debian's `chromium` driven by playwright-core.
 * A missing browser fails the test with how to install it; it is never a silent skip.
 */
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';

export function chromiumPath(): string {
  const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(path)) {
    throw new Error(
      `Chromium not found at ${path}: the Explorer page tests need a real browser. ` +
        'Install it (apt-get install -y chromium) or set CHROMIUM_PATH to its executable.',
    );
  }
  return path;
}

export function launchBrowser(): Promise<Browser> {
  // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: ['--no-sandbox'] });
}

export interface OpenedPage {
  page: Page;
  /** Uncaught exceptions and console errors of the page: a test ends by asserting none. */
  errors: string[];
}

export async function openPage(
  browser: Browser,
  url: string,
  width = 1440,
  height = 1800,
): Promise<OpenedPage> {
  const context = await browser.newContext({ viewport: { width, height }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()} (${message.location().url})`);
  });
  await page.goto(url);
  return { page, errors };
}

let shotsDir: string | undefined;

/**
 * Writes a full-page screenshot to a temp dir (path returned, for a person to look at) and,
 * with UPDATE_SCREENSHOTS=1, `docsName` to docs/.
 */
export async function screenshot(page: Page, name: string, docsName?: string): Promise<string> {
  shotsDir ??= mkdtempSync(join(tmpdir(), 'explorer-shots-'));
  mkdirSync(shotsDir, { recursive: true });
  const path = join(shotsDir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  if (docsName !== undefined && process.env.UPDATE_SCREENSHOTS === '1') {
    await copyFile(path, join(process.cwd(), 'docs', docsName));
  }
  return path;
}

/** Waits until an element matching `selector` shows `text` (polled by Playwright, no fixed sleep). */
export async function waitForText(
  page: Page,
  selector: string,
  text: string,
  timeoutMs = 10_000,
): Promise<void> {
  await page.locator(selector).filter({ hasText: text }).first().waitFor({ timeout: timeoutMs });
}

/** Waits until `expression` (JavaScript, evaluated in the page) is truthy. */
export async function waitUntil(page: Page, expression: string, timeoutMs = 10_000): Promise<void> {
  await page.waitForFunction(expression, undefined, { timeout: timeoutMs });
}

/** A page expression: how many elements match `selector`. */
export const countOf = (selector: string): string =>
  `document.querySelectorAll(${JSON.stringify(selector)}).length`;
