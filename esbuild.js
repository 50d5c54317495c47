// Builds the three bundles: the extension (Node, CommonJS, minified), the CLI, and the webview panel.
//   node esbuild.js            production build
//   node esbuild.js --watch    rebuild on change (extension + CLI)
'use strict';

const esbuild = require('esbuild');
const fs = require('fs');
const { buildWebview } = require('./scripts/build-webview.js');
const { writeValidators } = require('./scripts/generate-validators.js');

const watch = process.argv.includes('--watch');

/** Node bundles share these options; `vscode` is provided by the editor at runtime. */
const node = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  minify: true,
  sourcemap: true,
  legalComments: 'none',
  // jsonc-parser's default entry is UMD with runtime requires esbuild cannot follow; its ESM build bundles cleanly.
  mainFields: ['module', 'main'],
  logLevel: 'warning',
};

async function main() {
  // Schema validators are generated code; keep them in step with schemas/*.json before bundling.
  writeValidators();
  const builds = [
    { ...node, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] },
    // `inference-budget --version` (src/cli/version.ts) prints the version built with, read from nothing at run time.
    { ...node, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' }, define: { INFERENCE_BUDGET_VERSION: JSON.stringify(require('./package.json').version) } },
    { ...node, entryPoints: ['scripts/accuracy.ts'], outfile: 'dist/scripts/accuracy.js' },
    { ...node, entryPoints: ['scripts/coverage.ts'], outfile: 'dist/scripts/coverage.js' },
  ];
  if (watch) {
    for (const b of builds) await (await esbuild.context(b)).watch();
    console.log('watching…');
    return;
  }
  await Promise.all(builds.map((b) => esbuild.build(b)));
  // The bundled model catalog ships beside the bundles and is read on first use, not inlined.
  fs.mkdirSync('dist', { recursive: true });
  fs.copyFileSync('src/core/bundled-models.json', 'dist/bundled-models.json');
  await buildWebview();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
