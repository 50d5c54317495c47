import * as assert from 'assert';
import {
  hfCacheFolderName, hfCacheRoots, hubConfigUrl, matchCatalog, nameOrPathMatches, parseModelReference, referenceBaseName,
  variantCandidates,
} from '../../src/core/modelResolution';

describe('modelResolution', () => {
  describe('parseModelReference', () => {
    it('reads hub ids, with revisions and URL forms', () => {
      assert.deepStrictEqual(parseModelReference('meta-llama/Llama-3.1-8B'), { kind: 'hub', id: 'meta-llama/Llama-3.1-8B' });
      assert.deepStrictEqual(parseModelReference(' "Qwen/Qwen3-30B-A3B" '), { kind: 'hub', id: 'Qwen/Qwen3-30B-A3B' });
      assert.deepStrictEqual(parseModelReference('hf://org/name'), { kind: 'hub', id: 'org/name' });
      assert.deepStrictEqual(parseModelReference('org/name@v1.0'), { kind: 'hub', id: 'org/name', revision: 'v1.0' });
      assert.deepStrictEqual(parseModelReference('https://huggingface.co/google/gemma-3-27b-it'), { kind: 'hub', id: 'google/gemma-3-27b-it' });
      assert.deepStrictEqual(parseModelReference('https://huggingface.co/org/name/tree/abc123'), { kind: 'hub', id: 'org/name', revision: 'abc123' });
    });
    it('reads paths', () => {
      assert.deepStrictEqual(parseModelReference('/models/llama'), { kind: 'path', path: '/models/llama', absolute: true });
      assert.deepStrictEqual(parseModelReference('./models/llama'), { kind: 'path', path: './models/llama', absolute: false });
      assert.deepStrictEqual(parseModelReference('llama'), { kind: 'path', path: 'llama', absolute: false });
      assert.deepStrictEqual(parseModelReference('models/llama/config.json'), { kind: 'path', path: 'models/llama/config.json', absolute: false });
      assert.deepStrictEqual(parseModelReference('C:\\models\\x'), { kind: 'path', path: 'C:\\models\\x', absolute: true });
      assert.strictEqual(parseModelReference('   '), undefined);
    });
  });

  it('hfCacheFolderName follows the hub cache layout', () => {
    assert.strictEqual(hfCacheFolderName('meta-llama/Llama-3.1-8B'), 'models--meta-llama--Llama-3.1-8B');
  });

  it('hfCacheRoots: HF_HUB_CACHE, HF_HOME/hub, XDG, then ~/.cache; empty values ignored', () => {
    assert.deepStrictEqual(hfCacheRoots({ HF_HUB_CACHE: '/a', HF_HOME: '/b/', XDG_CACHE_HOME: '/x' }, '/home/u'),
      ['/a', '/b/hub', '/x/huggingface/hub', '/home/u/.cache/huggingface/hub']);
    assert.deepStrictEqual(hfCacheRoots({ HF_HUB_CACHE: '', HF_HOME: '' }, '/home/u'), ['/home/u/.cache/huggingface/hub']);
  });

  it('hubConfigUrl uses HF_ENDPOINT and encodes the id', () => {
    assert.strictEqual(hubConfigUrl(undefined, 'org/name'), 'https://huggingface.co/org/name/resolve/main/config.json');
    assert.strictEqual(hubConfigUrl('http://127.0.0.1:8080/', 'org/na me', 'rev'), 'http://127.0.0.1:8080/org/na%20me/resolve/rev/config.json');
  });

  it('variantCandidates strips quantization and instruct suffixes one at a time', () => {
    assert.deepStrictEqual(variantCandidates('hugging-quants/Meta-Llama-3.1-8B-Instruct-AWQ-INT4').map((c) => c.name),
      ['Meta-Llama-3.1-8B-Instruct-AWQ-INT4', 'Meta-Llama-3.1-8B-Instruct-AWQ', 'Meta-Llama-3.1-8B-Instruct', 'Meta-Llama-3.1-8B']);
    const last = variantCandidates('Qwen/Qwen3-30B-A3B-Instruct-2507').pop()!;
    assert.strictEqual(last.name, 'Qwen3-30B-A3B');
    assert.strictEqual(last.quantized, false);
    assert.strictEqual(last.otherRelease, true);
    assert.strictEqual(variantCandidates('x/Llama-3.1-8B-FP8').pop()!.quantized, true);
  });

  describe('matchCatalog', () => {
    const catalog = [
      { id: 'meta-llama/Llama-3.1-8B', config: { a: 1 } },
      { id: 'Qwen/Qwen3-30B-A3B', config: { b: 1 } },
    ];
    it('exact ids match case-insensitively, without a note', () => {
      const m = matchCatalog('META-LLAMA/llama-3.1-8b', catalog);
      assert.strictEqual(m?.entry.id, 'meta-llama/Llama-3.1-8B');
      assert.strictEqual(m?.note, undefined);
    });
    it('variants resolve to their base with a note', () => {
      const m = matchCatalog('neuralmagic/Meta-Llama-3.1-8B-Instruct-FP8', catalog);
      assert.strictEqual(m?.entry.id, 'meta-llama/Llama-3.1-8B');
      assert.match(m!.note!, /variant: Instruct-FP8/);
      assert.strictEqual(m?.quantizedVariant, true);
      // Another release is not the same checkpoint: the -2507 release's context is 262,144 tokens, its base's 40,960.
      assert.strictEqual(matchCatalog('Qwen/Qwen3-30B-A3B-Instruct-2507', catalog), undefined);
      assert.strictEqual(matchCatalog('mistralai/Mistral-7B-Instruct-v0.3', [{ id: 'mistralai/Mistral-7B-Instruct-v0.1', config: {} }]), undefined);
      // The exact release, in any case, still matches.
      assert.strictEqual(matchCatalog('qwen/qwen3-30b-a3b-instruct-2507', [...catalog, { id: 'Qwen/Qwen3-30B-A3B-Instruct-2507', config: {} }])?.entry.id, 'Qwen/Qwen3-30B-A3B-Instruct-2507');
    });
    it('unknown models do not match', () => {
      assert.strictEqual(matchCatalog('acme/unknown-7b', catalog), undefined);
      assert.strictEqual(matchCatalog('meta-llama/Llama-3.1-70B', catalog), undefined);
    });
    it('an exact id wins over an earlier entry of the same name; among names, the first entry wins', () => {
      const twins = [
        { id: 'mirror/Foo-7B', config: { first: true } },
        { id: 'acme/Foo-7B', config: { second: true } },
        { id: 'ACME/foo-7b', config: { third: true } },
      ];
      // Each question twice: the catalog's index is built on the first and read on the second.
      for (let i = 0; i < 2; i++) {
        assert.strictEqual(matchCatalog('acme/foo-7b', twins)?.entry.config, twins[1].config, 'the first exact id, case-insensitively');
        assert.strictEqual(matchCatalog('other/FOO-7B', twins)?.entry.config, twins[0].config, 'same name elsewhere: the first entry');
        assert.strictEqual(matchCatalog('acme/Meta-Foo-7B', twins)?.entry.config, twins[0].config, 'a Meta- prefix is dropped');
      }
      // Another catalog array is indexed on its own.
      assert.strictEqual(matchCatalog('other/foo-7b', twins.slice(1))?.entry.config, twins[1].config);
    });
  });

  it('nameOrPathMatches compares _name_or_path with ids and paths', () => {
    assert.ok(nameOrPathMatches({ _name_or_path: 'meta-llama/Llama-3.1-8B' }, 'meta-llama/llama-3.1-8b'));
    assert.ok(nameOrPathMatches({ _name_or_path: '/data/meta-llama/Llama-3.1-8B/' }, 'meta-llama/Llama-3.1-8B'));
    assert.ok(!nameOrPathMatches({ _name_or_path: 'meta-llama/Llama-3.1-70B' }, 'meta-llama/Llama-3.1-8B'));
    assert.ok(!nameOrPathMatches({}, 'a/b'));
  });

  it('referenceBaseName takes the last path segment', () => {
    assert.strictEqual(referenceBaseName('/models/Llama-3.1-8B/'), 'Llama-3.1-8B');
    assert.strictEqual(referenceBaseName('org/name'), 'name');
  });
});

describe('redactUrl', () => {
  it('masks credentials of an HF_ENDPOINT in what is shown or logged', () => {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { redactUrl } = require('../../src/core/modelResolution') as typeof import('../../src/core/modelResolution');
    assert.strictEqual(redactUrl('https://user:hf_secret@mirror.local/org/m/resolve/main/config.json'), 'https://***@mirror.local/org/m/resolve/main/config.json');
    assert.strictEqual(redactUrl('http://127.0.0.1:8080/org/m/resolve/main/config.json'), 'http://127.0.0.1:8080/org/m/resolve/main/config.json');
  });
});
