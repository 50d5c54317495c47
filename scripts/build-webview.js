#!/usr/bin/env node
// Builds the roofline panel's webview alone: webview/main.ts → dist/webview/main.js (IIFE,
// browser, minified) and webview/panel.css → dist/webview/panel.css.
//
//   node scripts/build-webview.js            build once
//   node scripts/build-webview.js --watch    rebuild on change
//
// The extension's esbuild.js can call it: `await require('./scripts/build-webview.js').buildWebview()`.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const esbuild = require('esbuild');

const root = path.resolve(__dirname, '..');
const outDir = path.join(root, 'dist', 'webview');
/** The bundle must stay under this size (bytes). */
const MAX_BUNDLE_BYTES = 400 * 1024;

function copyCss() {
  fs.mkdirSync(outDir, { recursive: true });
  fs.copyFileSync(path.join(root, 'webview', 'panel.css'), path.join(outDir, 'panel.css'));
}

/**
 * d3 packages that Observable Plot links in but the panel never calls: d3-geo (map projections)
 * and d3-scale-chromatic (named colour schemes; the panel passes theme colours explicitly).
 * Replacing them with stubs that throw a clear error if ever called saves about 44 KB.
 */
const STUBBED_D3 = ['d3-geo', 'd3-scale-chromatic'];

/** Functions Plot calls while its modules load, kept with d3's own code (d3-geo's geoTransform, ISC licence). */
const KEPT = {
  geoTransform: `function geoTransform(methods) {
  return { stream(stream) {
    const s = Object.create({
      point(x, y) { this.stream.point(x, y); },
      sphere() { this.stream.sphere(); },
      lineStart() { this.stream.lineStart(); },
      lineEnd() { this.stream.lineEnd(); },
      polygonStart() { this.stream.polygonStart(); },
      polygonEnd() { this.stream.polygonEnd(); },
    });
    for (const key in methods) s[key] = methods[key];
    s.stream = stream;
    return s;
  } };
}`,
};

async function stubPlugin() {
  const names = {};
  for (const pkg of STUBBED_D3) {
    const entry = require.resolve(pkg, { paths: [root] });
    names[pkg] = Object.keys(await import(pathToFileURL(entry).href));
  }
  return {
    name: 'stub-unused-d3',
    setup(build) {
      const filter = new RegExp(`^(${STUBBED_D3.join('|')})$`);
      build.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'stub-unused-d3' }));
      build.onLoad({ filter: /.*/, namespace: 'stub-unused-d3' }, (args) => ({
        loader: 'js',
        contents: `const unavailable = (name) => () => { throw new Error(\`${args.path}.\${name} is not bundled in the webview (scripts/build-webview.js)\`); };\n`
          + names[args.path].map((n) => (KEPT[n] ? `export ${KEPT[n]}\n` : `export const ${n} = unavailable(${JSON.stringify(n)});\n`)).join(''),
      }));
    },
  };
}

function options(overrides = {}) {
  return {
    absWorkingDir: root,
    entryPoints: [path.join(root, 'webview', 'main.ts')],
    outfile: path.join(outDir, 'main.js'),
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ['chrome120'],
    minify: true,
    sourcemap: false,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
    define: { 'process.env.NODE_ENV': '"production"' },
    ...overrides,
  };
}

/**
 * Builds the webview bundle and copies its stylesheet.
 * @param {{ watch?: boolean, sourcemap?: boolean, minify?: boolean, quiet?: boolean, stubUnusedD3?: boolean }} [opts]
 * @returns {Promise<{ outfile: string, cssFile: string, bytes: number }>}
 */
async function buildWebview(opts = {}) {
  const overrides = {};
  if (opts.sourcemap !== undefined) overrides.sourcemap = opts.sourcemap;
  if (opts.minify !== undefined) overrides.minify = opts.minify;
  const plugins = opts.stubUnusedD3 === false ? [] : [await stubPlugin()];
  const outfile = path.join(outDir, 'main.js');
  const cssFile = path.join(outDir, 'panel.css');
  if (opts.watch) {
    const ctx = await esbuild.context({
      ...options(overrides),
      plugins: [...plugins, {
        name: 'copy-panel-css',
        setup(build) {
          build.onEnd(() => copyCss());
        },
      }],
    });
    await ctx.watch();
    fs.watchFile(path.join(root, 'webview', 'panel.css'), { interval: 500 }, copyCss);
    return { outfile, cssFile, bytes: 0 };
  }
  await esbuild.build(options({ ...overrides, plugins }));
  copyCss();
  const bytes = fs.statSync(outfile).size;
  if (!opts.quiet) console.log(`webview: ${path.relative(root, outfile)} ${(bytes / 1024).toFixed(1)} KiB, ${path.relative(root, cssFile)}`);
  if (opts.minify !== false && bytes > MAX_BUNDLE_BYTES) {
    throw new Error(`webview bundle is ${bytes} bytes, over the ${MAX_BUNDLE_BYTES}-byte budget`);
  }
  return { outfile, cssFile, bytes };
}

module.exports = { buildWebview, MAX_BUNDLE_BYTES };

if (require.main === module) {
  buildWebview({ watch: process.argv.includes('--watch') }).catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
