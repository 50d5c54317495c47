#!/usr/bin/env node
// `npm run bench`: builds the benchmark with esbuild's API and runs it (see scripts/bench.ts).
//   node scripts/bench/run.js [--quick] [--no-build] [--no-host] [--no-panel] [--out FILE]
//   node scripts/bench/run.js --profile [...]   instead: scripts/bench/profileManifest.ts (the manifest rows apart)
// Two bundles go to bench-results/.build/ (git-ignored):
//   bench.js      scripts/bench.ts, with `vscode` aliased to scripts/bench/vscodeShim.ts (Node-only timing of the
//                 editor layer's real code);
//   hostSuite.js  scripts/bench/hostSuite.ts, `vscode` external: loaded by the extension host as extensionTestsPath.
//   catalogLoad.js scripts/bench/catalogLoad.ts: the model catalog's loader, timed in fresh processes by bench.ts.
// The model catalog goes beside them, as esbuild.js ships it beside dist/: src/analysis/bundledCatalog.ts looks for
// it next to the running bundle, and without it the bench's models are found nowhere and nothing is sized.
'use strict';

const fs = require('fs');
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

const shimAlias = { vscode: path.join(root, 'scripts', 'bench', 'vscodeShim.ts') };

/** The catalog beside the bundles (see above). */
function copyCatalog() {
  fs.copyFileSync(path.join(root, 'src', 'core', 'bundled-models.json'), path.join(outDir, 'bundled-models.json'));
}

async function main() {
  if (process.argv.includes('--profile')) {
    await esbuild.build({
      ...common,
      entryPoints: [path.join(root, 'scripts', 'bench', 'profileManifest.ts')],
      outfile: path.join(outDir, 'profileManifest.js'),
      alias: shimAlias,
    });
    copyCatalog();
    process.chdir(root);
    require(path.join(outDir, 'profileManifest.js'));
    return;
  }
  await Promise.all([
    esbuild.build({
      ...common,
      entryPoints: [path.join(root, 'scripts', 'bench.ts')],
      outfile: path.join(outDir, 'bench.js'),
      alias: shimAlias,
      external: ['playwright-core'],
    }),
    esbuild.build({
      ...common,
      entryPoints: [path.join(root, 'scripts', 'bench', 'hostSuite.ts')],
      outfile: path.join(outDir, 'hostSuite.js'),
      external: ['vscode'],
    }),
    // One cold load of the model catalog by the loader's own code, run in fresh processes by bench.ts.
    esbuild.build({
      ...common,
      entryPoints: [path.join(root, 'scripts', 'bench', 'catalogLoad.ts')],
      outfile: path.join(outDir, 'catalogLoad.js'),
    }),
  ]);
  copyCatalog();
  process.chdir(root);
  require(path.join(outDir, 'bench.js'));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
