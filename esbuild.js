// Builds the three bundles: the extension (Node, CommonJS, minified), the CLI, and the webview panel.
//   node esbuild.js            production build
//   node esbuild.js --watch    rebuild on change (extension + CLI)
'use strict';

const esbuild = require('esbuild');
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
    { ...node, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
    { ...node, entryPoints: ['scripts/accuracy.ts'], outfile: 'dist/scripts/accuracy.js' },
  ];
  if (watch) {
    for (const b of builds) await (await esbuild.context(b)).watch();
    console.log('watching…');
    return;
  }
  await Promise.all(builds.map((b) => esbuild.build(b)));
  await buildWebview();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
