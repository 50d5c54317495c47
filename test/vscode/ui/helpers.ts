// Helpers for playwright-driven UI tests against code-server (see test/vscode/launcher.js).
// The keyboard is steadier than the mouse in the workbench, so every helper goes through it.
import * as path from 'path';
import type { Page } from 'playwright-core';

export interface UiContext {
  page: Page;
  /** http://127.0.0.1:PORT */
  base: string;
  /** Absolute path of the opened workspace folder (a fresh copy per run). */
  workspace: string;
  /** Where screenshots go (repo/test-results). */
  resultsDir: string;
  repoRoot: string;
  log: (...a: unknown[]) => void;
}

export interface UiTest {
  name: string;
  timeoutMs?: number;
  run(ctx: UiContext): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Loads the workbench on the test workspace and waits until it is interactive. */
export async function openWorkbench(ctx: UiContext): Promise<void> {
  const { page } = ctx;
  await page.goto(`${ctx.base}/?folder=${encodeURIComponent(ctx.workspace)}`, { waitUntil: 'domcontentloaded' });
  await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
  await page.waitForSelector('.part.statusbar', { timeout: 60_000 });
  // The explorer appears once the remote file system answers.
  await page.waitForSelector('.explorer-folders-view, .explorer-viewlet', { timeout: 60_000 }).catch(() => {});
  await sleep(500);
  await page.locator('.monaco-workbench').click({ position: { x: 700, y: 450 } }).catch(() => {});
}

/** Runs a command through the command palette by its title. */
export async function runCommand(ctx: UiContext, title: string): Promise<void> {
  const { page } = ctx;
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 15_000 });
  await input.fill('>' + title);
  await page.locator('.quick-input-list .monaco-list-row').first().waitFor({ timeout: 15_000 });
  await sleep(200);
  await page.keyboard.press('Enter');
  await sleep(300);
}

/** Opens a workspace file through Quick Open and waits for its editor tab to be active. */
export async function openFile(ctx: UiContext, relPath: string): Promise<void> {
  const { page } = ctx;
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 15_000 });
  await input.fill(relPath);
  const base = path.basename(relPath);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: base }).first().waitFor({ timeout: 20_000 });
  await sleep(300);
  await page.keyboard.press('Enter');
  await page.locator(`.tabs-container .tab.active[aria-label*="${base}"], .tabs-container .tab.active:has-text("${base}")`)
    .first().waitFor({ timeout: 20_000 });
  await page.locator('.monaco-editor .view-lines').first().waitFor({ timeout: 20_000 });
  await sleep(300);
}

/** Puts the cursor inside the first visible token (a span in the editor) that has this text, with a click. */
export async function clickText(ctx: UiContext, text: string): Promise<void> {
  const span = ctx.page.locator('.monaco-editor .view-lines .view-line span span', { hasText: text }).first();
  await span.waitFor({ state: 'visible', timeout: 15_000 });
  await span.click();
  await sleep(200);
}

/** Shows the hover at the cursor (editor.action.showHover) and returns its text once it has `expect`. */
export async function showHover(ctx: UiContext, expect: RegExp, attempts = 4): Promise<string> {
  const { page } = ctx;
  let last = '';
  for (let i = 0; i < attempts; i++) {
    await runCommand(ctx, 'Show or Focus Hover');
    const hover = page.locator('.monaco-hover:not(.hidden)').first();
    try {
      await hover.waitFor({ state: 'visible', timeout: 8_000 });
      for (let k = 0; k < 20; k++) {
        last = (await hover.innerText()) || '';
        if (expect.test(last)) return last;
        await sleep(250);
      }
    } catch { /* retry */ }
    await page.keyboard.press('Escape');
    await sleep(500);
  }
  throw new Error(`hover never showed ${expect}; last hover text: ${JSON.stringify(last)}`);
}

export async function screenshot(ctx: UiContext, name: string): Promise<string> {
  const file = path.join(ctx.resultsDir, name.endsWith('.png') ? name : `${name}.png`);
  await ctx.page.screenshot({ path: file });
  ctx.log(`screenshot ${path.relative(ctx.repoRoot, file)}`);
  return file;
}

export { sleep };
