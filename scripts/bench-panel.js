#!/usr/bin/env node
// Benchmarks the roofline panel's first render in a real VS Code (code-server + chromium, see
// test/vscode/launcher.js): the time from pressing Enter on "Inference Budget: Open Roofline Panel" in the
// command palette to the roofline chart's <svg> being drawn inside the webview. Each run starts a fresh server
// and browser and runs the UI test `panel: Open Roofline Panel … (first render timed) …`
// (test/vscode/ui/panel.test.ts), which writes test-results/vscode-panel-first-render.json.
//
//   node scripts/bench-panel.js [--runs N] [--json]
//
// Needs the extension built (node esbuild.js), the tests compiled (npx tsc -p .) and the
// test dependencies (bash scripts/install-test-deps.sh). Also usable from another script:
//   const { benchPanelFirstRender } = require('./scripts/bench-panel.js');
//   const { firstRenderMs, reopenRenderMs } = await benchPanelFirstRender({ runs: 3 });
'use strict';

const cp = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const resultFile = path.join(root, 'test-results', 'vscode-panel-first-render.json');

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function runOnce() {
  return new Promise((resolve, reject) => {
    try { fs.rmSync(resultFile, { force: true }); } catch { /* none */ }
    const args = [path.join(root, 'test', 'vscode', 'launcher.js'), '--ui-only', '--grep', 'first render timed'];
    const child = cp.spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.on('exit', (code) => {
      if (code !== 0 || !fs.existsSync(resultFile)) {
        reject(new Error(`the UI test failed (exit ${code}):\n${out.slice(-3000)}`));
        return;
      }
      resolve(JSON.parse(fs.readFileSync(resultFile, 'utf8')));
    });
  });
}

/**
 * Runs the first-render UI test `runs` times (a fresh VS Code each time).
 * @returns {Promise<{ firstRenderMs: number[], reopenRenderMs: number[], medianFirstRenderMs: number, medianReopenRenderMs: number }>}
 */
async function benchPanelFirstRender({ runs = 1 } = {}) {
  const firstRenderMs = [];
  const reopenRenderMs = [];
  for (let i = 0; i < runs; i++) {
    const r = await runOnce();
    firstRenderMs.push(r.firstRenderMs);
    reopenRenderMs.push(r.reopenRenderMs);
  }
  return { firstRenderMs, reopenRenderMs, medianFirstRenderMs: median(firstRenderMs), medianReopenRenderMs: median(reopenRenderMs) };
}

module.exports = { benchPanelFirstRender };

if (require.main === module) {
  const argv = process.argv.slice(2);
  const runs = argv.includes('--runs') ? Math.max(1, Number(argv[argv.indexOf('--runs') + 1]) || 1) : 1;
  benchPanelFirstRender({ runs }).then((r) => {
    if (argv.includes('--json')) {
      console.log(JSON.stringify(r));
    } else {
      console.log(`roofline panel first render (command → roofline <svg> in the webview), ${runs} run(s):`);
      console.log(`  first open: ${r.firstRenderMs.join(', ')} ms (median ${r.medianFirstRenderMs} ms)`);
      console.log(`  reopened:   ${r.reopenRenderMs.join(', ')} ms (median ${r.medianReopenRenderMs} ms)`);
    }
  }).catch((e) => {
    console.error(e.message);
    process.exit(1);
  });
}
