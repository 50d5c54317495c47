// Playwright tests against the real workbench with the extension installed from its built files:
// a hover on a model config, the Problems panel for a deployment that does not fit, the status bar item.
import * as assert from 'assert';
import { clickText, openFile, openWorkbench, runCommand, screenshot, showHover, sleep, UiTest } from './helpers';

const LLAMA = 'models/Meta-Llama-3.1-8B/config.json';

export const tests: UiTest[] = [
  {
    name: 'hover on num_key_value_heads shows the KV cache per token',
    async run(ctx) {
      await openWorkbench(ctx);
      await openFile(ctx, LLAMA);
      await clickText(ctx, 'num_key_value_heads');
      // 2 · 32 layers · 8 KV heads · 128 · 2 bytes
      const hover = await showHover(ctx, /KV cache per token/);
      assert.ok(hover.includes('131,072 B'), hover);
      await sleep(300);
      await screenshot(ctx, 'hover-num_key_value_heads');
    },
  },
  {
    name: 'the status bar shows the default GPU',
    async run(ctx) {
      await openWorkbench(ctx);
      await openFile(ctx, LLAMA);
      const item = ctx.page.locator('.statusbar-item', { hasText: 'H100' }).first();
      await item.waitFor({ timeout: 30_000 });
      assert.match(await item.innerText(), /H100/);
    },
  },
  {
    name: 'the status bar shows the GPU of the deployment under the cursor',
    async run(ctx) {
      await openWorkbench(ctx);
      await openFile(ctx, 'deploy/llama-8b-l4.yaml');
      // The default GPU is an H100; this deployment runs on an L4 (its node selector).
      await clickText(ctx, '--max-model-len');
      const item = ctx.page.locator('.statusbar-item', { hasText: 'L4' }).first();
      await item.waitFor({ timeout: 30_000 });
      assert.match(await item.innerText(), /\bL4\b/);
    },
  },
  {
    name: 'the Problems panel lists a deployment that does not fit',
    async run(ctx) {
      await openWorkbench(ctx);
      await openFile(ctx, 'deploy/llama-8b-l4.yaml');
      // The CodeLens above the container says why.
      const lens = ctx.page.locator('.codelens-decoration', { hasText: 'does not fit' }).first();
      await lens.waitFor({ timeout: 30_000 });
      assert.match(await lens.innerText(), /NVIDIA L4/);
      await runCommand(ctx, 'View: Focus Problems');
      const panel = ctx.page.locator('.markers-panel');
      await panel.waitFor({ timeout: 20_000 });
      const row = panel.locator('.monaco-list-row', { hasText: /does not fit|KV cache|max_model_len|max seq len/i }).first();
      await row.waitFor({ timeout: 30_000 });
      await sleep(500);
      await screenshot(ctx, 'problems-panel');
    },
  },
];
