import * as assert from 'assert';
import { normalizeConfig } from '../../../src/core/normalize';
import { parametersActive, parametersTotal } from '../../../src/core/weights';
import * as fs from 'fs';
import * as path from 'path';
import { bundledModels } from '../../../src/analysis/bundledCatalog';
import { CONFIGS, allCorpusConfigs, assertWithin, model, readConfig, readSide } from './helpers';

/** Exact parameter count of the stored checkpoint: index total_size / bytes per parameter. */
function indexParams(rel: string, file: string, bytesPerParam: number): number {
  const index = readSide(rel, file) as { metadata: { total_size: number } };
  return Number(index.metadata.total_size) / bytesPerParam;
}

describe('normalizeConfig', () => {
  it('gives a model or a clear "unsupported" for every corpus config, never a throw', () => {
    const configs = allCorpusConfigs();
    assert.ok(configs.length >= 70, `corpus has ${configs.length} configs`);
    for (const rel of configs) {
      const r = normalizeConfig(readConfig(rel));
      if (r.ok) {
        assert.ok(r.model.numLayers > 0 && r.model.hiddenSize > 0, rel);
        assert.ok(Number.isFinite(parametersTotal(r.model)) && parametersTotal(r.model) > 0, rel);
      } else {
        assert.match(r.unsupported, /\w/, rel);
      }
    }
    // Every family in the corpus is in fact supported.
    const unsupported = configs.filter((rel) => !normalizeConfig(readConfig(rel)).ok);
    assert.deepStrictEqual(unsupported, []);
  });

  it('counts Llama-3.1-8B exactly from its shapes', () => {
    // h=4096, 32 layers, 32 heads, 8 KV heads, head 128, MLP 14336, vocab 128256, untied head.
    const h = 4096, L = 32, H = 32, Hkv = 8, d = 128, I = 14336, V = 128256;
    const perLayer = h * H * d + 2 * h * Hkv * d + H * d * h + 3 * h * I + 2 * h;
    const expected = 2 * V * h + L * perLayer + h;
    assert.strictEqual(expected, 8_030_261_248);
    assert.strictEqual(parametersTotal(model('llama3.1/Meta-Llama-3.1-8B')), expected);
  });

  const fromIndex: Array<[string, string, number]> = [
    ['bloom/bloom-176b', 'model.safetensors.index.json', 2],
    ['gemma/gemma-2b-it', 'model.safetensors.index.json', 2],
    ['gemma3/medgemma-27b-it', 'model.safetensors.index.json', 2],
    ['llama2/Llama-2-70b-chat-hf', 'model.safetensors.index.json', 2],
    ['llama3/Reflection-Llama-3.1-70B', 'model.safetensors.index.json', 4],
    ['mistral/Mistral-7B-v0.1', 'model.safetensors.index.json', 2],
    ['mixtral/Mixtral-8x7B-Instruct-v0.1', 'model.safetensors.index.json', 2],
    ['gpt-neox/RedPajama-INCITE-7B-Base', 'pytorch_model.bin.index.json', 2],
    ['phi/phi-2-mixformer-legacy', 'pytorch_model.bin.index.json', 4],
    // SmolLM3's config omits tie_word_embeddings and relies on the class default (tied).
    ['smollm/SmolLM3-3B', 'model.safetensors.index.json', 2],
    ['minimax/MiniMax-M1', 'model.safetensors.index.json', 2],
  ];
  for (const [rel, file, bytes] of fromIndex) {
    it(`matches the checkpoint index of ${rel} within 0.5%`, () => {
      assertWithin(parametersTotal(model(rel)), indexParams(rel, file, bytes), 0.005, rel);
    });
  }

  it('counts Falcon with the tied head once (its checkpoints store lm_head beside the embedding)', () => {
    for (const [rel, file, h] of [['falcon/falcon-40b', 'pytorch_model.bin.index.json', 8192], ['falcon/falcon-180b-chat', 'model.safetensors.index.json', 14848]] as const) {
      const stored = indexParams(rel, file, 2);
      assertWithin(parametersTotal(model(rel)), stored - 65024 * h, 0.005, rel);
    }
  });

  const cards: Array<[string, number]> = [
    ['bloom/bloom-560m', 559_214_592],
    ['gptj/gpt-j-6b', 6_053_381_344],
    ['gpt2/gpt2-xl', 1_557_611_200],
    ['_partial/mpt-7b-instruct-resaved', 6_649_286_656],
    ['deepseek-v3/DeepSeek-V3', 671e9],
    ['_native-formats/deepseek-inference-config_671B/config_671B.json', 671e9],
    ['_native-formats/deepseek-inference-config_236B/config_236B.json', 236e9],
    ['gpt-oss/gpt-oss-120b', 117e9],
    ['gpt-oss/gpt-oss-20b', 21e9],
    ['qwen3-moe/Qwen3-235B-A22B', 235e9],
    ['llama3.1/Meta-Llama-3.1-405B', 405.9e9],
    ['nemotron/Llama-3_1-Nemotron-51B-Instruct', 51.5e9],
    ['multimodal/Qwen2.5-VL-7B-Instruct', 8.29e9],
  ];
  for (const [rel, count] of cards) {
    it(`matches the model card total of ${rel} within 0.5%`, () => assertWithin(parametersTotal(model(rel)), count, 0.005, rel));
  }

  it('matches opt-1.3b and bloom-560m single-file checkpoint sizes (fp16 LFS pointers)', () => {
    // weights.lfs-pointers.txt: exact byte size of the published fp16 weight file.
    const fs = require('fs') as typeof import('fs');
    const path = require('path') as typeof import('path');
    const { CONFIGS } = require('./helpers') as typeof import('./helpers');
    for (const rel of ['opt/opt-1.3b', 'bloom/bloom-560m']) {
      const text = fs.readFileSync(path.join(CONFIGS, rel, 'weights.lfs-pointers.txt'), 'utf8');
      const sizes = [...text.matchAll(/size (\d+)/g)].map((m) => Number(m[1]));
      const bytes = Math.max(...sizes);
      assertWithin(parametersTotal(model(rel)) * 2, bytes, 0.005, rel);
    }
  });

  const activeCards: Array<[string, number]> = [
    // Model-card "active" counts (see model-configs/INDEX.md): embedding table excluded, as the cards do.
    ['qwen3-moe/Qwen3-30B-A3B', 3e9],
    ['qwen3-moe/Qwen3-235B-A22B', 22e9],
    ['gpt-oss/gpt-oss-120b', 5.1e9],
    ['gpt-oss/gpt-oss-20b', 3.6e9],
    ['deepseek-v3/DeepSeek-V3', 37e9],
    ['deepseek-v3/DeepSeek-R1', 37e9],
    ['_native-formats/deepseek-inference-config_236B/config_236B.json', 21e9],
    ['phi/Phi-3.5-MoE-instruct', 6.6e9],
  ];
  for (const [rel, count] of activeCards) {
    it(`matches the active parameters of ${rel} within 3%`, () => assertWithin(parametersActive(model(rel)), count, 0.03, rel));
  }

  it('computes Mixtral active parameters from top-2 of 8 experts', () => {
    const m = model('mixtral/Mixtral-8x7B-v0.1');
    const h = 4096, I = 14336, L = 32, V = 32000;
    const expertParams = L * 8 * 3 * h * I;
    const expected = parametersTotal(m) - expertParams * (6 / 8) - V * h;
    assertWithin(parametersActive(m), expected, 1e-9, 'mixtral');
  });

  it('fills Gemma 3 defaults the config omits and says so', () => {
    const m = model('gemma3/gemma-3-4b-it');
    assert.strictEqual(m.numAttentionHeads, 8);
    assert.strictEqual(m.numKeyValueHeads, 4);
    assert.strictEqual(m.headDim, 256);
    assert.strictEqual(m.vocabSize, 262208);
    assert.ok(m.assumptions.some((a) => /num_attention_heads = 8/.test(a)));
    // Five local layers then one global: layers 6, 12, ... (1-based) are global.
    const global = m.layers.filter((l) => l.attention?.type === 'full').map((l) => l.index);
    assert.deepStrictEqual(global, [5, 11, 17, 23, 29]);
    assert.ok(m.layers.filter((l) => l.attention?.type === 'sliding').every((l) => l.attention!.window === 1024));
  });

  it('reads layer types, sliding rules and hybrids per family', () => {
    const oss = model('gpt-oss/gpt-oss-20b');
    assert.strictEqual(oss.layers.filter((l) => l.attention?.type === 'sliding').length, 12);
    assert.strictEqual(oss.layers[0].attention?.window, 128);
    assert.ok(model('mistral/Mistral-7B-v0.1').layers.every((l) => l.attention?.type === 'sliding' && l.attention.window === 4096));
    assert.ok(model('qwen2.5/Qwen2.5-7B').layers.every((l) => l.attention?.type === 'full'), 'use_sliding_window false does not slide');
    const pattern = String(readConfig('nemotron-h/Nemotron-H-56B-Base-8K').hybrid_override_pattern);
    const nh = model('nemotron-h/Nemotron-H-56B-Base-8K');
    assert.strictEqual(nh.layers.filter((l) => l.mamba).length, [...pattern].filter((c) => c === 'M').length);
    assert.strictEqual(nh.layers.filter((l) => l.attention).length, [...pattern].filter((c) => c === '*').length);
    const mamba = model('mamba/mamba-2.8b-hf');
    assert.ok(mamba.layers.every((l) => l.mamba && !l.attention));
    const mllama = model('multimodal/Llama-3.2-90B-Vision-Instruct');
    assert.strictEqual(mllama.layers.filter((l) => l.crossAttention).length, 20);
  });

  it('reads DeepSeek MLA and MoE layout (dense first layers, shared experts)', () => {
    const m = model('deepseek-v3/DeepSeek-V3');
    assert.strictEqual(m.layers.filter((l) => !l.moe).length, 3);
    const moe = m.layers[3].moe!;
    assert.deepStrictEqual([moe.experts, moe.expertsPerToken, moe.sharedExperts, moe.expertIntermediate], [256, 8, 1, 2048]);
    assert.strictEqual(m.layers[0].attention?.mlaLatentDim, 512 + 64);
  });

  it('counts the vision tower of multimodal wrappers', () => {
    const vision = (rel: string): number => model(rel).weights.filter((g) => g.role === 'vision').reduce((t, g) => t + g.params, 0);
    // SigLIP-so400m without head: ~400M, plus the 1152->2560 projector.
    assertWithin(vision('gemma3/gemma-3-4b-it'), 4.17e8, 0.03, 'gemma-3-4b vision');
    assert.ok(vision('multimodal/Qwen2.5-VL-7B-Instruct') > 6e8);
    assert.strictEqual(vision('llama3.1/Meta-Llama-3.1-8B'), 0);
  });

  it('handles family key names (GPT-2, Falcon old and new, MPT, BLOOM, Phi, OPT, GPT-J)', () => {
    const f40 = model('falcon/falcon-40b');
    assert.deepStrictEqual([f40.hiddenSize, f40.numAttentionHeads, f40.numKeyValueHeads, f40.numLayers], [8192, 128, 8, 60]);
    const f180 = model('falcon/falcon-180b-chat');
    assert.deepStrictEqual([f180.numKeyValueHeads, f180.numLayers], [8, 80]);
    const gpt2 = model('gpt2/gpt2-xl');
    assert.deepStrictEqual([gpt2.hiddenSize, gpt2.numLayers, gpt2.numAttentionHeads], [1600, 48, 25]);
    const mpt = model('_partial/mpt-7b-instruct-resaved');
    assert.deepStrictEqual([mpt.hiddenSize, mpt.numLayers, mpt.intermediateSize], [4096, 32, 16384]);
    const bloom = model('bloom/bloom-560m');
    assert.strictEqual(bloom.hiddenSize, 1024);
    assert.strictEqual(model('phi/phi-2').headDim, 80);
    assert.strictEqual(model('opt/opt-1.3b').intermediateSize, 8192);
    assert.strictEqual(model('gptj/gpt-j-6b').intermediateSize, 4 * 4096);
  });

  it('says what is missing for unknown or broken configs instead of guessing', () => {
    const unknown = normalizeConfig({ architectures: ['FooForCausalLM'], model_type: 'foo' });
    assert.strictEqual(unknown.ok, false);
    if (!unknown.ok) assert.match(unknown.unsupported, /hidden/);
    const partial = normalizeConfig({ architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: 4096, vocab_size: 32000 });
    assert.strictEqual(partial.ok, false);
    if (!partial.ok) {
      assert.ok(partial.missing.some((m) => /num_attention_heads/.test(m)));
      assert.ok(partial.missing.some((m) => /num_hidden_layers/.test(m)));
    }
    for (const bad of [null, 42, 'text', [], {}, { architectures: 7 }, { model_type: 'llama', hidden_size: -5, num_hidden_layers: 1e15 }]) {
      const r = normalizeConfig(bad);
      assert.strictEqual(r.ok, false, JSON.stringify(bad));
    }
  });

  it('takes the name from _name_or_path or the hint, never an absolute path', () => {
    assert.strictEqual(normalizeConfig(readConfig('phi/Phi-3.5-MoE-instruct')).ok && model('phi/Phi-3.5-MoE-instruct').name, 'Phi-3.5-MoE-instruct');
    const r = normalizeConfig(readConfig('llama3.1/Llama-3.1-70B-Instruct-FP8-nvidia'), { nameHint: 'Llama-3.1-70B-Instruct-FP8' });
    assert.ok(r.ok && r.model.name === 'Llama-3.1-70B-Instruct-FP8');
  });
});

describe('bundled model catalog', () => {
  it('holds every HF config of the corpus, with the keys the engine reads (regenerate with scripts/generate-bundled-models.js)', () => {
    const bundled = bundledModels() as Array<{ id: string; folder: string; config: unknown; provenance: string }>;
    const folders = new Set(bundled.map((b) => b.folder));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { trimConfig } = require(path.resolve(__dirname, '..', '..', '..', '..', 'scripts', 'generate-bundled-models.js')) as { trimConfig(c: unknown): unknown };
    for (const b of bundled) assert.deepStrictEqual(b.config, trimConfig(readConfig(b.folder)), b.folder);
    assert.ok(folders.has('llama3.1/Meta-Llama-3.1-8B') && folders.has('deepseek-v3/DeepSeek-V3'));
    assert.ok(bundled.some((b) => b.id === 'meta-llama/Meta-Llama-3.1-8B'));
    for (const b of bundled) assert.ok(normalizeConfig(b.config).ok, b.id);
    // Every corpus folder but DeepSeek's native ModelArgs files is in it; _partial copies say what they are.
    const corpus = allCorpusConfigs().filter((rel) => rel.endsWith('/config.json') && !rel.startsWith('_native-formats')).map((rel) => rel.replace(/\/config\.json$/, ''));
    const ids = new Map(bundled.map((b) => [b.folder, b]));
    for (const folder of corpus) {
      const b = ids.get(folder);
      // An id held by two folders (phi-4 and its early revision) is kept once.
      if (!b) { assert.ok(bundled.some((x) => x.id === readSourceId(folder)), folder); continue; }
      assert.strictEqual(b.provenance.startsWith('verbatim'), !folder.startsWith('_'), folder);
    }
  });
});

function readSourceId(folder: string): string | undefined {
  const file = path.join(CONFIGS, folder, 'SOURCE.txt');
  return fs.existsSync(file) ? /^HF model id:\s*([^\s(]+)/m.exec(fs.readFileSync(file, 'utf8'))?.[1] : undefined;
}
