#!/usr/bin/env node
// `npm run bench`: builds the benchmark with esbuild's API and runs it (see scripts/bench.ts).
//   node scripts/bench/run.js [--quick] [--no-build] [--no-host] [--no-panel] [--out FILE]
// Two bundles go to bench-results/.build/ (git-ignored):
//   bench.js      scripts/bench.ts, with `vscode` aliased to scripts/bench/vscodeShim.ts (Node-only timing of the
//                 editor layer's real code);
//   hostSuite.js  scripts/bench/hostSuite.ts, `vscode` external: loaded by the extension host as extensionTestsPath.
'use strict';

const path = require('path');
const esbuild = require('esbuild');

const root = path.resolve(__dirname, '..', '..');
const outDir = path.join(root, 'bench-results', '.build');

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: true,
  legalComments: 'none',
  // As esbuild.js: jsonc-parser's ESM build bundles cleanly.
  mainFields: ['module', 'main'],
  logLevel: 'warning',
  absWorkingDir: root,
};

async function main() {
  await Promise.all([
    esbuild.build({
      ...common,
      entryPoints: [path.join(root, 'scripts', 'bench.ts')],
      outfile: path.join(outDir, 'bench.js'),
      alias: { vscode: path.join(root, 'scripts', 'bench', 'vscodeShim.ts') },
      external: ['playwright-core'],
    }),
    esbuild.build({
      ...common,
      entryPoints: [path.join(root, 'scripts', 'bench', 'hostSuite.ts')],
      outfile: path.join(outDir, 'hostSuite.js'),
      external: ['vscode'],
    }),
  ]);
  process.chdir(root);
  require(path.join(outDir, 'bench.js'));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
