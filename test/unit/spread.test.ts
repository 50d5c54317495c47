// Spreading an array into arguments (`push(...xs)`, `Math.max(...xs)`) throws RangeError past ~125k items, and a
// document then read as nothing. Where the array comes from input it must be a loop; the few spreads left are over
// lists bounded by the code (layer kinds, pipeline ranks, workspace folders, a model's notes).
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { parseDocument } from '../../src/formats';

const ROOT = path.resolve(__dirname, '../../..');

const BOUNDED = new Set([
  'src/analysis/modelResolver.ts: bases.push(...host.workspaceFolders(',
  'src/core/normalize.ts: r.missing.push(...la.missing)',
  'src/core/normalize.ts: r.assumptions.push(...la.assumptions)',
  'src/panel/state.ts: points.push(...operatorPoints(',
  'src/core/engine/vllm.ts: Math.min(...counts.values(',
  'src/core/engine/vllm.ts: Math.max(...specs.map(',
  'src/core/engine/vllm.ts: Math.min(...ranks.map(',
]);

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

describe('no argument spreads over input-sized arrays', () => {
  it('push(...), unshift(...), Math.max/min(...) and fromCharCode(...) appear only over bounded lists', () => {
    const found: string[] = [];
    for (const file of [...sources(path.join(ROOT, 'src')), ...sources(path.join(ROOT, 'webview'))]) {
      if (file.includes(`${path.sep}generated${path.sep}`)) continue;
      const rel = path.relative(ROOT, file).split(path.sep).join('/');
      for (const m of fs.readFileSync(file, 'utf8').matchAll(/[\w.]*(?:push|unshift|Math\.max|Math\.min|fromCharCode)\(\.\.\.[\w.]*(?:\(|\)|\b)/g)) {
        const site = `${rel}: ${m[0]}`;
        if (![...BOUNDED].some((b) => site.startsWith(b))) found.push(site);
      }
    }
    assert.deepStrictEqual(found, []);
  });

  it('a container with 200,000 arguments is read, not dropped, and its flags not read are counted', () => {
    const args = Array.from({ length: 200_000 }, (_, i) => `"--x${i}"`).join(', ');
    const text = `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: c\n      image: vllm/vllm-openai:v0.19.0\n      args: ["--model", "meta-llama/Llama-3.1-8B", "--max-model-len", "8192", ${args}]\n`;
    const doc = parseDocument('big.yaml', text);
    assert.strictEqual(doc.deployments.length, 1);
    assert.strictEqual(doc.deployments[0].inputs.maxModelLen, 8192);
    assert.strictEqual(doc.deployments[0].model?.name, 'meta-llama/Llama-3.1-8B');
    // The finding names the first 40 flags not read and counts the rest.
    assert.deepStrictEqual([doc.deployments[0].unread?.names.length, doc.deployments[0].unread?.more], [40, 200_000 - 40]);
  });
});
