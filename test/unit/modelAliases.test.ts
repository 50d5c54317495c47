// inferenceBudget.models (ids and globs → a config.json path or a model id), a budget file's `models:` map, check's
// --models FILE, and the similar-model ranking of the "Size it as a similar model…" quick fix.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { bundledModels } from '../../src/analysis/bundledCatalog';
import { hubFailureMessage } from '../../src/analysis/modelResolver';
import { defaultSettings, settingsFromValues, SETTING_DEFAULTS } from '../../src/analysis/settings';
import { runCheck } from '../../src/cli/check';
import { FileModelResolver } from '../../src/cli/fileResolver';
import { globPattern, matchAlias, parametersInName, similarModels } from '../../src/core/modelResolution';
import { budgetModelsMap } from '../../src/formats/budget';
import { parseDocument } from '../../src/formats';
import { LLAMA_8B, tempTree } from './cli/helpers';

const log = { info: () => undefined, warn: () => undefined, error: () => undefined };
const llamaText = fs.readFileSync(path.join(LLAMA_8B, 'config.json'), 'utf8');
const llama = JSON.parse(llamaText) as Record<string, unknown>;
/** A config no bundled model has (so a match can only come from the alias). */
const oddConfig = JSON.stringify({ ...llama, num_hidden_layers: 7, _name_or_path: 'nowhere' });

function settingsWith(models: Record<string, unknown>) {
  return settingsFromValues((k) => (k === 'models' ? models : SETTING_DEFAULTS[k]), true);
}

describe('model aliases (inferenceBudget.models, budget files\' models:, check --models)', () => {
  let dir: string;
  before(() => {
    dir = tempTree({
      'ws/models/odd/config.json': oddConfig,
      'ws/deploy/x.yaml': '',
      'home/private/odd/config.json': oddConfig,
      'ws/deploy/with-map.budget.yaml': 'model: acme/odd-v2\nmodels:\n  acme/odd-*: ../models/odd/config.json\nhardware:\n  gpu: H100\n',
      'ws/deploy/alias-to-id.budget.yaml': 'model: acme/llama-ft-v7\nmodels:\n  acme/llama-ft-v7: meta-llama/Llama-3.1-8B-Instruct\nhardware:\n  gpu: H100\n',
      'ws/deploy/plain.vllm.yaml': 'model: acme/llama-ft-v7\nmax-model-len: 8192\n',
      'ws/aliases.yaml': 'acme/llama-ft-*: meta-llama/Llama-3.1-8B-Instruct\n',
    });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const resolver = () => new FileModelResolver(log, { workspaceFolders: [path.join(dir, 'ws')], env: {}, homeDir: path.join(dir, 'home') });
  const doc = (name = 'x.yaml') => path.join(dir, 'ws', 'deploy', name);

  it('the setting is read as ordered entries; invalid ones are reported and left out', () => {
    const s = settingsWith({ 'acme/a': 'meta-llama/Llama-3.1-8B', 'acme/b-*': './b/config.json', bad: 3, '': 'x' });
    assert.deepStrictEqual(s.models, [
      { pattern: 'acme/a', target: 'meta-llama/Llama-3.1-8B', origin: 'inferenceBudget.models' },
      { pattern: 'acme/b-*', target: './b/config.json', origin: 'inferenceBudget.models' },
    ]);
    assert.strictEqual(s.invalidCustomGpus.length, 2);
    assert.deepStrictEqual(settingsWith([] as unknown as Record<string, unknown>).models, []);
    assert.deepStrictEqual(defaultSettings().models, []);
  });

  it('globs: * and ? over the whole id, case-insensitive; exact entries win over globs', () => {
    assert.ok(globPattern('acme/llama-ft-*').test('ACME/Llama-FT-v7'));
    assert.ok(!globPattern('acme/llama-ft-*').test('other/acme/llama-ft-v7'));
    assert.ok(globPattern('acme/m?del').test('acme/model'));
    assert.ok(!globPattern('acme/m.del').test('acme/model'), 'dots are literal');
    const aliases = [{ pattern: 'acme/*' }, { pattern: 'acme/exact' }];
    assert.strictEqual(matchAlias('acme/exact', aliases)?.pattern, 'acme/exact');
    assert.strictEqual(matchAlias('hf://acme/other', aliases)?.pattern, 'acme/*');
    assert.strictEqual(matchAlias('acme/other@rev1', aliases)?.pattern, 'acme/*');
    assert.strictEqual(matchAlias('zzz/other', aliases), undefined);
  });

  it('an id mapped to a catalog id is sized as that model, and says so', async () => {
    const r = await resolver().resolve('acme/llama-ft-v7', doc(), settingsWith({ 'acme/llama-ft-*': 'meta-llama/Llama-3.1-8B-Instruct' }));
    assert.ok(r.ok, JSON.stringify(r));
    assert.strictEqual(r.model.location, 'bundled:meta-llama/Llama-3.1-8B-Instruct');
    assert.deepStrictEqual(r.model.alias, { pattern: 'acme/llama-ft-*', target: 'meta-llama/Llama-3.1-8B-Instruct', origin: 'inferenceBudget.models' });
    // Without the alias the same id is not found.
    assert.strictEqual((await resolver().resolve('acme/llama-ft-v7', doc(), defaultSettings())).ok, false);
  });

  it('an id mapped to a config.json path: workspace-relative, absolute, ~ and a folder', async () => {
    for (const target of ['models/odd/config.json', 'models/odd', path.join(dir, 'ws', 'models', 'odd', 'config.json'), '~/private/odd/config.json']) {
      const r = await resolver().resolve('acme/odd', doc(), settingsWith({ 'acme/odd': target }));
      assert.ok(r.ok, `${target}: ${JSON.stringify(r)}`);
      assert.strictEqual((r.model.files.config as { num_hidden_layers: number }).num_hidden_layers, 7, target);
      assert.strictEqual(r.model.alias?.target, target);
    }
  });

  it('an alias to a missing file or an unknown id is "not found", naming the entry', async () => {
    const r = await resolver().resolve('acme/odd', doc(), settingsWith({ 'acme/odd': 'models/missing/config.json' }));
    assert.ok(!r.ok);
    assert.match(r.tried.join(' '), /inferenceBudget\.models maps "acme\/odd" to models\/missing\/config\.json/);
    const r2 = await resolver().resolve('acme/odd', doc(), settingsWith({ 'acme/odd': 'nobody/nothing-like-it' }));
    assert.ok(!r2.ok);
    assert.match(r2.tried.join(' '), /nobody\/nothing-like-it, which is not found/);
  });

  it('a budget file\'s models: map is valid for the schema, read by budgetModelsMap, and applied (relative to the file)', async () => {
    const text = fs.readFileSync(doc('with-map.budget.yaml'), 'utf8');
    const parsed = parseDocument('with-map.budget.yaml', text);
    assert.deepStrictEqual(parsed.problems, [], JSON.stringify(parsed.problems));
    assert.deepStrictEqual(budgetModelsMap(text), { 'acme/odd-*': '../models/odd/config.json' });
    const bad = parseDocument('bad.budget.yaml', 'model: x/y\nmodels:\n  x/y: 3\n');
    assert.ok(bad.problems.some((p) => /models/.test(p.message)), JSON.stringify(bad.problems));
    const r = await resolver().resolve('acme/odd-v2', doc('with-map.budget.yaml'), defaultSettings());
    assert.ok(r.ok, JSON.stringify(r));
    assert.strictEqual((r.model.files.config as { num_hidden_layers: number }).num_hidden_layers, 7);
    assert.strictEqual(r.model.alias?.origin, 'models: in with-map.budget.yaml');
    // The map applies to that file only.
    assert.strictEqual((await resolver().resolve('acme/odd-v2', doc(), defaultSettings())).ok, false);
  });

  it('check sizes a budget file through its models: map, and other files through --models FILE', async () => {
    const run = async (args: string[]) => {
      let out = '';
      const code = await runCheck([...args, '--json', '--no-workspace'], (s) => { out += s; }, () => undefined, path.join(dir, 'ws'));
      return { code, json: JSON.parse(out) as { files: { deployments: { sized: boolean; modelSource: string | null }[] }[] } };
    };
    const own = await run(['deploy/alias-to-id.budget.yaml']);
    assert.strictEqual(own.json.files[0].deployments[0].sized, true);
    const without = await run(['deploy/plain.vllm.yaml']);
    assert.strictEqual(without.json.files[0].deployments[0].sized, false);
    const withFile = await run(['deploy/plain.vllm.yaml', '--models', 'aliases.yaml']);
    assert.strictEqual(withFile.json.files[0].deployments[0].sized, true);
    let err = '';
    assert.strictEqual(await runCheck(['deploy/plain.vllm.yaml', '--models', 'missing.yaml'], () => undefined, (s) => { err += s; }, path.join(dir, 'ws')), 2);
    assert.match(err, /missing\.yaml/);
  });

  it('hub failures say what happened: gated (401/403), 404, offline, timeout', () => {
    const url = 'https://user:secret@hub.example/acme/x/resolve/main/config.json';
    assert.match(hubFailureMessage('acme/x', url, new Error('HTTP 401')), /gated or private.*access token/);
    assert.match(hubFailureMessage('acme/x', url, new Error('HTTP 403')), /gated or private/);
    assert.match(hubFailureMessage('acme/x', url, new Error('HTTP 404')), /no config\.json on the Hub \(HTTP 404/);
    const offline = Object.assign(new Error('getaddrinfo ENOTFOUND hub.example'), { code: 'ENOTFOUND' });
    assert.match(hubFailureMessage('acme/x', url, offline), /cannot be reached.*offline/);
    assert.match(hubFailureMessage('acme/x', url, new Error('timed out after 15 s downloading x')), /did not answer in time/);
    for (const e of ['HTTP 401', 'HTTP 404', 'HTTP 500', 'boom']) assert.ok(!hubFailureMessage('acme/x', url, new Error(e)).includes('secret'));
  });
});

describe('similar models (Size it as a similar model…)', () => {
  const catalog = bundledModels();

  it('parameter counts written in names', () => {
    assert.strictEqual(parametersInName('acme/Llama-3.1-8B-finetune-v7'), 8e9);
    assert.strictEqual(parametersInName('Qwen3-0.6B'), 0.6e9);
    assert.strictEqual(parametersInName('bloom-560m'), 560e6);
    assert.strictEqual(parametersInName('Mixtral-8x7B-v0.1'), 56e9);
    assert.strictEqual(parametersInName('gpt2-xl'), undefined);
  });

  it('an unknown Llama-3.1-8B fine-tune ranks a bundled Llama-3.1-8B first, then other Llamas; no other family', () => {
    const ranked = similarModels('acme/Llama-3.1-8B-finetune-v7', catalog);
    assert.ok(ranked.length > 0);
    assert.match(ranked[0].entry.id, /(^|\/)(Meta-)?Llama-3\.1-8B(-Instruct)?$/, ranked.map((r) => r.entry.id).join(', '));
    // Every 8B Llama-3.1 of the catalog comes before any other size.
    const firstOther = ranked.findIndex((r) => !/Llama-3\.1-8B/i.test(r.entry.id));
    const lastSame = ranked.map((r) => /Llama-3\.1-8B/i.test(r.entry.id)).lastIndexOf(true);
    assert.ok(firstOther === -1 || lastSame < firstOther, ranked.map((r) => r.entry.id).join(', '));
    for (const r of ranked) assert.match(r.entry.id, /llama/i);
  });

  it('size decides among the same family: a Qwen3 32B fine-tune ranks Qwen3-32B above Qwen3-8B', () => {
    const ids = similarModels('acme/Qwen3-32B-med-v2', catalog).map((r) => r.entry.id);
    assert.ok(ids.indexOf('Qwen/Qwen3-32B') >= 0 && ids.indexOf('Qwen/Qwen3-32B') < Math.max(0, ids.indexOf('Qwen/Qwen3-8B')) || !ids.includes('Qwen/Qwen3-8B'), ids.join(', '));
    assert.match(ids[0], /Qwen3-32B/);
  });

  it('a name sharing no family word gets no suggestion', () => {
    assert.deepStrictEqual(similarModels('acme/zzzqx-7b', catalog), []);
  });
});
