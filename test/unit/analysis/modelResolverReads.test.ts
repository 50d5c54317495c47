// What the model resolver reads, and what it shares (src/analysis/modelResolver.ts): a workspace config is read
// once (by the workspace index) and its side files once per index, whichever references land on it; one file two
// lookups of an analysis reach is read once; a bundled model keeps one ModelFiles for the resolver's life (the
// engine's memos are per object), never shared between resolvers; invalidate() makes side files be read again.
// Expected values come from the files the test writes.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { defaultSettings } from '../../../src/analysis/settings';
import { FileModelResolver } from '../../../src/cli/fileResolver';
import type { Resolution } from '../../../src/analysis/modelResolver';
import { LLAMA_8B, tempTree } from '../cli/helpers';

const log = { info: () => undefined, warn: () => undefined, error: () => undefined };
const llama = JSON.parse(fs.readFileSync(path.join(LLAMA_8B, 'config.json'), 'utf8')) as Record<string, unknown>;

/** A resolver over `folders`, counting the host's reads by path. */
function counted(dir: string, folders: string[]): { resolver: FileModelResolver; reads: Map<string, number> } {
  const resolver = new FileModelResolver(log, { workspaceFolders: folders, env: { HF_HOME: path.join(dir, 'no-hf') }, homeDir: path.join(dir, 'home') });
  const host = (resolver as unknown as { host: { readText(p: string): Promise<string> } }).host;
  const reads = new Map<string, number>();
  const readText = host.readText.bind(host);
  host.readText = (p) => { reads.set(p, (reads.get(p) ?? 0) + 1); return readText(p); };
  return { resolver, reads };
}

function found(r: Resolution): Extract<Resolution, { ok: true }>['model'] {
  assert.ok(r.ok, JSON.stringify(r));
  return r.model;
}

describe('model resolver: reads and shared model files', () => {
  let dir: string;
  let ws: string;
  let doc: string;
  beforeEach(() => {
    dir = tempTree({
      'ws/models/llama-8b/config.json': JSON.stringify({ ...llama, _name_or_path: 'acme/llama-ft' }),
      'ws/models/llama-8b/quantize_config.json': JSON.stringify({ bits: 4, group_size: 128 }),
      'ws/deploy/x.yaml': '',
    });
    ws = path.join(dir, 'ws');
    doc = path.join(ws, 'deploy', 'x.yaml');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const config = () => path.join(ws, 'models', 'llama-8b', 'config.json');
  const quantize = () => path.join(ws, 'models', 'llama-8b', 'quantize_config.json');

  it('references that land on one workspace config share its ModelFiles; each file is read once', async () => {
    const { resolver, reads } = counted(dir, [ws]);
    const settings = defaultSettings();
    await resolver.indexWorkspace(settings.maxDocuments);
    // By _name_or_path, by folder name, and by path (the path step finds the config the index already read).
    const [byName, byFolder, byPath] = (await Promise.all(resolver.resolveAll(['acme/llama-ft', 'someone/llama-8b', '../models/llama-8b'], doc, settings))).map(found);
    assert.deepStrictEqual([byName.source, byFolder.source, byPath.source], ['workspace', 'workspace', 'document']);
    assert.strictEqual(byFolder.files, byName.files);
    assert.strictEqual(byPath.files, byName.files);
    assert.deepStrictEqual(byName.files.quantizeConfig, { bits: 4, group_size: 128 });
    assert.strictEqual((byName.files.config as { num_key_value_heads: number }).num_key_value_heads, llama.num_key_value_heads);
    assert.strictEqual(reads.get(config()), 1, 'the index read the config; no lookup read it again');
    assert.strictEqual(reads.get(quantize()), 1);
    // A later analysis (a new batch) of a new reference to it: nothing read.
    found(await resolver.resolveAll(['other/llama-8b'], doc, settings)[0]);
    assert.strictEqual(reads.get(quantize()), 1);
  });

  it('without a workspace index, one file two references reach in an analysis is read once', async () => {
    const { resolver, reads } = counted(dir, []);
    const [a, b] = (await Promise.all(resolver.resolveAll(['../models/llama-8b', '../models/llama-8b/config.json'], doc, defaultSettings()))).map(found);
    assert.deepStrictEqual(a.files.quantizeConfig, { bits: 4, group_size: 128 });
    assert.deepStrictEqual(b.files.quantizeConfig, { bits: 4, group_size: 128 });
    assert.strictEqual(reads.get(config()), 1);
    assert.strictEqual(reads.get(quantize()), 1);
  });

  it('invalidate() reads side files again: a changed quantize_config.json is seen', async () => {
    const { resolver, reads } = counted(dir, [ws]);
    const settings = defaultSettings();
    assert.deepStrictEqual(found(await resolver.resolve('acme/llama-ft', doc, settings)).files.quantizeConfig, { bits: 4, group_size: 128 });
    fs.writeFileSync(quantize(), JSON.stringify({ bits: 8, group_size: 64 }));
    resolver.invalidate();
    assert.deepStrictEqual(found(await resolver.resolve('acme/llama-ft', doc, settings)).files.quantizeConfig, { bits: 8, group_size: 64 });
    assert.strictEqual(reads.get(quantize()), 2);
  });

  it('a bundled model keeps one ModelFiles across invalidate(), but not across resolvers', async () => {
    const settings = defaultSettings();
    const { resolver } = counted(dir, []);
    const first = found(await resolver.resolve('Qwen/Qwen3-8B', doc, settings));
    assert.strictEqual(first.source, 'bundled');
    resolver.invalidate();
    const again = found(await resolver.resolve('Qwen/Qwen3-8B', doc, settings));
    assert.strictEqual(again.files, first.files);
    const other = found(await counted(dir, []).resolver.resolve('Qwen/Qwen3-8B', doc, settings));
    assert.notStrictEqual(other.files, first.files);
    assert.deepStrictEqual(other.files, first.files);
  });
});
