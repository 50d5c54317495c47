// The package version `inference-budget --version` prints.
import * as fs from 'fs';
import * as path from 'path';

/** Set by esbuild.js (`define`) in the bundled CLI; absent when the sources run from out/ (tests). */
declare const INFERENCE_BUDGET_VERSION: string | undefined;

/** package.json's version: injected at build time, else read from the package.json beside dist/ or above out/src/cli. */
export function cliVersion(): string {
  if (typeof INFERENCE_BUDGET_VERSION === 'string') return INFERENCE_BUDGET_VERSION;
  for (const file of [path.join(__dirname, '..', 'package.json'), path.resolve(__dirname, '..', '..', '..', 'package.json')]) {
    try {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'inference-budget' && typeof pkg.version === 'string') return pkg.version;
    } catch { /* not there: the next candidate */ }
  }
  return 'unknown';
}
