// The CLI's model resolution (the editor's lookup order over file system paths) and its settings defaults.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { defaultSettings, SETTING_DEFAULTS } from '../../../src/analysis/settings';
import { FileModelResolver } from '../../../src/cli/fileResolver';
import { LLAMA_8B, ROOT, tempTree } from './helpers';

const log = { info: () => undefined, warn: () => undefined, error: () => undefined };
const llamaConfig = fs.readFileSync(path.join(LLAMA_8B, 'config.json'), 'utf8');
const BUNDLED_COUNT = (JSON.parse(fs.readFileSync(path.join(ROOT, 'src', 'core', 'bundled-models.json'), 'utf8')) as unknown[]).length;

describe('check: model resolution from files', () => {
  let dir: string;
  before(() => {
    dir = tempTree({
      'hf/hub/models--acme--cached-llama/snapshots/1111/config.json': llamaConfig,
      'hf/hub/models--acme--cached-llama/snapshots/2222/config.json': '{ broken',
      'hf/hub/models--acme--cached-llama/refs/main': '1111\n',
      'ws/models/renamed/config.json': JSON.stringify({ ...JSON.parse(llamaConfig), _name_or_path: 'acme/workspace-llama' }),
      'ws/deploy/x.yaml': '',
      'abs/Llama/config.json': llamaConfig,
      'abs/Llama/model.safetensors.index.json': JSON.stringify({ metadata: { total_size: 16060522496 }, weight_map: {} }),
    });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const resolver = (folders: string[] = []) => new FileModelResolver(log, {
    workspaceFolders: folders, env: { HF_HOME: path.join(dir, 'hf') }, homeDir: path.join(dir, 'home'),
  });
  const doc = () => path.join(dir, 'ws', 'deploy', 'x.yaml');

  it('the Hugging Face cache: refs/main names the snapshot', async () => {
    const r = await resolver().resolve('acme/cached-llama', doc(), defaultSettings());
    assert.ok(r.ok, JSON.stringify(r));
    assert.strictEqual(r.model.source, 'hf-cache');
    assert.strictEqual(r.model.files.nameHint, 'acme/cached-llama');
    assert.strictEqual((r.model.files.config as { num_key_value_heads: number }).num_key_value_heads, 8);
    assert.strictEqual(r.model.location, path.join(dir, 'hf', 'hub', 'models--acme--cached-llama', 'snapshots', '1111', 'config.json'));
  });

  it('an absolute folder, with the checkpoint index beside the config', async () => {
    const r = await resolver().resolve(path.join(dir, 'abs', 'Llama'), doc(), defaultSettings());
    assert.ok(r.ok && r.model.source === 'document', JSON.stringify(r));
    assert.deepStrictEqual(r.ok && r.model.files.safetensorsIndex, { metadata: { total_size: 16060522496 } });
  });

  it('a workspace config whose _name_or_path names the model, shown relative to the workspace', async () => {
    const r = await resolver([path.join(dir, 'ws')]).resolve('acme/workspace-llama', doc(), defaultSettings());
    assert.ok(r.ok, JSON.stringify(r));
    assert.strictEqual(r.model.source, 'workspace');
    assert.strictEqual(r.model.location, 'models/renamed/config.json');
  });

  it('the bundled catalog; nothing found says what was tried, and no download is made', async () => {
    const bundled = await resolver().resolve('Qwen/Qwen3-8B', doc(), defaultSettings());
    assert.ok(bundled.ok && bundled.model.source === 'bundled' && bundled.model.location === 'bundled:Qwen/Qwen3-8B', JSON.stringify(bundled));
    const missing = await resolver().resolve('acme/not-there', doc(), defaultSettings({ 'hub.allowDownload': true }));
    assert.ok(!missing.ok);
    assert.deepStrictEqual(missing.tried.map((t) => t.replace(dir, '<dir>')), [
      'path <dir>/ws/deploy/acme/not-there',
      'workspace config.json files (0) by _name_or_path and folder name',
      'HF cache <dir>/hf/hub/models--acme--not-there',
      'HF cache <dir>/home/.cache/huggingface/hub/models--acme--not-there',
      `the bundled catalog (${BUNDLED_COUNT} models)`,
      'no download (no network here)',
    ]);
  });
});

describe('check: settings', () => {
  it('start from the defaults package.json declares', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { contributes: { configuration: { properties: Record<string, { default?: unknown }> } } };
    const declared = Object.fromEntries(Object.entries(pkg.contributes.configuration.properties).map(([k, v]) => [k.replace(/^inferenceBudget\./, ''), v.default]));
    assert.deepStrictEqual(SETTING_DEFAULTS, declared);
    const s = defaultSettings();
    assert.deepStrictEqual([s.defaultGpu, s.workload, s.allowDownload, s.maxDocuments], ['H100', { batch: 1, context: undefined, prompt: 1024 }, false, 1000]);
    assert.strictEqual(defaultSettings({ defaultGpu: 'L4' }).defaultGpu, 'L4');
  });
});
