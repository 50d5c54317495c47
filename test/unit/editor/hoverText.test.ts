// The hovers' text (src/editor/hoverText.ts) and the CodeLens title (present.ts), without VS Code: analyses built
// by `check`'s own analyzeFile, hovers asked by subject (the reader knows the config's key names), figures checked
// against values worked out here from the models' shapes.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { analysisItems, type DocumentAnalysis, type ModelConfigAnalysis } from '../../../src/analysis/analyze';
import { defaultSettings } from '../../../src/analysis/settings';
import { analyzeFile } from '../../../src/cli/check';
import { FileModelResolver } from '../../../src/cli/fileResolver';
import { configKeyHover, deploymentHover, deploymentSubjectAt, HoverContext } from '../../../src/editor/hoverText';
import { lensTitle, md } from '../../../src/editor/present';
import { CONFIGS } from '../../../scripts/groundTruth';

const REPO = path.resolve(__dirname, '..', '..', '..', '..');
const LLAMA = path.join(REPO, 'examples/models/Llama-3.1-8B/config.json');
const WALKTHROUGH = path.join(REPO, 'examples/walkthrough/llama-8b-on-l4.yaml');
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const ctx: HoverContext = { links: { openRoofline: (i) => `[roofline ${i}]`, compareGpus: (i) => `[compare ${i}]` } };
const n = (x: number): string => x.toLocaleString('en-US');

async function analyze(file: string, text = fs.readFileSync(file, 'utf8'), overrides: Record<string, unknown> = {}): Promise<DocumentAnalysis> {
  return analyzeFile(file, text, defaultSettings(overrides), new FileModelResolver(quiet, { workspaceFolders: [], env: {} }), quiet);
}

/** The hover at the first occurrence of `needle` (`at` characters in), as the provider would find it. */
function hoverAt(a: DocumentAnalysis, needle: string, at = 1): string | undefined {
  const offset = a.text.indexOf(needle);
  assert.ok(offset >= 0, needle);
  if (a.kind === 'model-config') {
    const key = a.subjectAt(offset + at);
    return key && configKeyHover(a, key, ctx);
  }
  const found = deploymentSubjectAt(a, offset + at);
  return found && deploymentHover(a, found.item, found.subject, ctx);
}

const textOf = (a: DocumentAnalysis, r: { start: number; end: number } | undefined): string | undefined => r && a.text.slice(r.start, r.end);

describe('hover text (no VS Code)', () => {
  // Llama-3.1-8B: 32 layers, 32 attention heads, 8 KV heads, head_dim 4096 / 32 = 128, bf16 (2 bytes).
  const kv = 2 * 32 * 8 * 128 * 2; // K and V
  const mha = 2 * 32 * 32 * 128 * 2;
  // Embeddings and LM head (untied), per layer q/k/v/o + SwiGLU MLP + two norms, the final norm.
  const parameters = 128256 * 4096 * 2 + 32 * (4096 * 4096 * 2 + 4096 * 8 * 128 * 2 + 3 * 4096 * 14336 + 2 * 4096) + 4096;

  describe('config.json', () => {
    it('the reader says where each subject is written: rangeOf(subject)', async () => {
      const analysed = await analyze(LLAMA);
      assert.strictEqual(analysed.kind, 'model-config');
      const a = analysed as ModelConfigAnalysis;
      assert.strictEqual(textOf(a, a.rangeOf('maxPositionEmbeddings')), '131072');
      assert.strictEqual(textOf(a, a.rangeOf('kvHeads')), '8');
      assert.strictEqual(textOf(a, a.rangeOf('dtype')), 'bfloat16');
      assert.strictEqual(textOf(a, a.rangeOf('layers')), '32');
      assert.strictEqual(textOf(a, a.rangeOf('model')), 'architectures');
      assert.strictEqual(a.rangeOf('quantization'), undefined);
      assert.strictEqual(a.subjectAt(a.text.indexOf('"rope_theta"') + 2)?.subject, undefined);
      assert.strictEqual(a.subjectAt(a.text.indexOf('LlamaForCausalLM') + 2)?.subject, 'model');
      // A deployment has no config keys.
      const d = await analyze(WALKTHROUGH);
      assert.strictEqual(d.kind, 'deployments');
      assert.ok(!('rangeOf' in d));
    });

    it('num_key_value_heads: KV per token from the shapes, and the saving over full MHA', async () => {
      assert.strictEqual(kv, 131_072);
      assert.strictEqual(mha, 524_288);
      const text = hoverAt(await analyze(LLAMA), '"num_key_value_heads"', 3);
      assert.ok(text, 'a hover');
      assert.ok(text.includes(`**KV cache per token**: 128.00 KiB (${n(kv)} B)`), text);
      assert.ok(text.includes(`${n(mha)} B) per token`), text);
      assert.ok(text.includes(`save ${n(mha - kv)} B per token (4× smaller)`), text);
      assert.ok(text.includes('NVIDIA H100'), text);
    });

    it('max_position_embeddings: one full-length request, and the verdict on the default H100', async () => {
      const text = hoverAt(await analyze(LLAMA), '131072', 2);
      assert.ok(text);
      assert.ok(text.includes(`**One request of ${n(131072)} tokens** needs 16.00 GiB (${n(131072 * kv)} B)`), text);
      assert.match(text, /\$\(pass\) Fits: [\d.]+ concurrent full-length requests/);
      // On a 24 GB L4, 16 GiB of KV beside ~15 GiB of weights does not fit.
      const onL4 = hoverAt(await analyze(LLAMA, undefined, { defaultGpu: 'L4' }), '131072', 2);
      assert.ok(onL4 && onL4.includes('$(error) Does not fit: the largest context that fits is'), onL4);
    });

    it('architectures: the summary card with the escaped model name, exact parameters and the links', async () => {
      assert.strictEqual(parameters, 8_030_261_248);
      const text = hoverAt(await analyze(LLAMA), 'LlamaForCausalLM', 2);
      assert.ok(text);
      assert.ok(text.startsWith('**Llama\\-3\\.1\\-8B** · LlamaForCausalLM on 1× NVIDIA H100'), text);
      assert.ok(text.includes(`| Parameters | 8.03 B total (${n(parameters)})`), text);
      assert.ok(text.includes(`| KV cache per token | 128.00 KiB (${n(kv)} B) (bfloat16) |`), text);
      assert.ok(text.includes(`${(parameters * 2 / 2 ** 30).toFixed(2)} GiB bfloat16`), text);
      assert.ok(text.includes('| Verdict | $(pass) fits |'), text);
      assert.match(text, /\| Decode, batch 1 \| ~[\d.,]+ tok\/s expected/);
      assert.match(text, /\| Decode, \d+ full-length requests \|/);
      assert.ok(text.endsWith('[roofline 0] · [compare 0]'), text);
    });

    it('torch_dtype and num_hidden_layers', async () => {
      const a = await analyze(LLAMA);
      const weights = hoverAt(a, '"torch_dtype"', 2);
      assert.ok(weights && weights.includes(`**Weights**: 14.96 GiB (${n(parameters * 2)} B) (bfloat16) for 8.03 B parameters (${n(parameters)})`), weights);
      assert.strictEqual(hoverAt(a, '"num_hidden_layers"', 2), `**32 layers** · KV cache per token (all layers, bfloat16): 128.00 KiB (${n(kv)} B)`);
      assert.strictEqual(hoverAt(a, '"rope_theta"', 2), undefined);
    });

    it('gemma-3-27b-it: the nested text_config attention, full MHA at its own level', async () => {
      const file = path.join(CONFIGS, 'gemma3/gemma-3-27b-it/config.json');
      const t = (JSON.parse(fs.readFileSync(file, 'utf8')) as { text_config: Record<string, number> }).text_config;
      const gqa = 2 * t.num_hidden_layers * t.num_key_value_heads * t.head_dim * 2; // 2 · 62 · 16 · 128 · 2
      const full = 2 * t.num_hidden_layers * t.num_attention_heads * t.head_dim * 2;
      const a = await analyze(file);
      const text = hoverAt(a, '"num_key_value_heads"', 3);
      assert.ok(text && text.includes(`(${n(gqa)} B)`) && text.includes(`(${n(full)} B) per token`), text);
      assert.ok(text.includes(`(${full / gqa}× smaller)`), text);
    });

    it('DeepSeek-V3 (MLA): the latent cache, and no saving from KV heads', async () => {
      const file = path.join(CONFIGS, 'deepseek-v3/DeepSeek-V3/config.json');
      const text = hoverAt(await analyze(file), '"num_key_value_heads"', 3);
      assert.ok(text && text.includes(`(${n(61 * (512 + 64) * 2)} B)`), text);
      assert.match(text, /does not shrink/);
    });
  });

  describe('deployments', () => {
    it('the walkthrough (Llama-3.1-8B at 131,072 tokens on an L4): does not fit, in every hover', async () => {
      const a = await analyze(WALKTHROUGH);
      const model = hoverAt(a, 'meta-llama/', 2);
      assert.ok(model);
      assert.ok(model.startsWith(`**${md('meta-llama/Llama-3.1-8B-Instruct')}** · LlamaForCausalLM on 1× NVIDIA L4`), model);
      assert.ok(model.startsWith('**meta\\-llama/Llama\\-3\\.1\\-8B\\-Instruct**'), model);
      assert.ok(model.includes('$(error) **Will not start**'), model);
      assert.ok(model.includes('| Concurrency at 131,072 tokens | does not fit |'), model);
      assert.ok(!/\| Decode, \d+ full-length requests/.test(model), 'no full batch when one request does not fit');
      const len = hoverAt(a, '"131072"', 2);
      assert.ok(len);
      assert.ok(len.includes(`one full-length request needs 16.00 GiB (${n(131072 * kv)} B) of KV cache per GPU`), len);
      assert.ok(len.includes('→ **does not fit**'), len);
      const gpu = hoverAt(a, 'nvidia-l4', 2);
      assert.ok(gpu && gpu.includes('$(error) max_model_len 131,072 does not fit') && gpu.endsWith('[compare 0]'), gpu);
      assert.ok(!/fits\b/.test(gpu.replace(/does not fit|that fits/g, '')), gpu);
      assert.match(lensTitle(analysisItems(a)[0]), /\$\(error\) max_model_len 131,072 does not fit/);
    });

    it('the same at 8,192 tokens on an H100: fits; batch 1 and the full batch decode', async () => {
      const text = fs.readFileSync(WALKTHROUGH, 'utf8').replace('nvidia-l4', 'nvidia-h100-80gb').replace('"131072"', '"8192"');
      const a = await analyze(path.join(REPO, 'examples/walkthrough/fits-on-h100.yaml'), text);
      const len = hoverAt(a, '"8192"', 2);
      assert.ok(len);
      // 8,192 tokens × 131,072 B = 1 GiB per request.
      assert.ok(len.includes(`one full-length request needs 1.00 GiB (${n(8192 * kv)} B)`), len);
      assert.match(len, /→ [\d.]+ concurrent full-length requests/);
      const model = hoverAt(a, 'meta-llama/', 2);
      assert.ok(model && model.includes('| Verdict | $(pass) fits |'), model);
      assert.match(model, /\| Decode, \d+ full-length requests \| ~[\d.,]+ tok\/s expected in total/);
      // Prefill: the expected time, the floor, and the prompt rate said to be uncalibrated (no measurements to fit).
      assert.match(model, /\| First token, [\d,]+-token prompt \| ~[\d.]+ m?s expected · floor [\d.]+ m?s \([^)]*\) · ~[\d.,]+ tok\/s prompt, uncalibrated \|/);
      assert.match(lensTitle(analysisItems(a)[0]), /\$\(pass\) fits · max concurrency [\d.]+ × 8,192 tokens/);
      const engine = hoverAt(a, 'v0.19.0', 2);
      assert.ok(engine && engine.startsWith('**vLLM 0\\.19\\.0**: block size 16'), engine);
      // Nothing to say about a place with no input.
      assert.strictEqual(deploymentSubjectAt(a, a.text.indexOf('replicas')), undefined);
    });
  });
});

describe('hover text: a model path that leaves the workspace (issue 11 item 1)', () => {
  it('is read, and the model hover says it is outside the workspace folders; inside, it is not said', async () => {
    const os = await import('os');
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ib-hover-outside-'));
    try {
      const ws = path.join(root, 'ws');
      const outsideModel = path.join(root, 'elsewhere', 'Llama-3.1-8B');
      const insideModel = path.join(ws, 'models', 'Llama-3.1-8B');
      for (const dir of [outsideModel, insideModel]) { fs.mkdirSync(dir, { recursive: true }); fs.copyFileSync(LLAMA, path.join(dir, 'config.json')); }
      const hoverFor = async (model: string): Promise<string> => {
        const file = path.join(ws, 'deploy.vllm.yaml');
        const text = `model: ${model}\nmax-model-len: 8192\n`;
        const a = await analyzeFile(file, text, defaultSettings(), new FileModelResolver(quiet, { workspaceFolders: [ws], env: {} }), quiet);
        const found = deploymentSubjectAt(a, text.indexOf(model) + 1);
        assert.ok(found && found.subject === 'model', 'the model value is a hover subject');
        return deploymentHover(a, found.item, found.subject, ctx) ?? "";
      };
      const out = await hoverFor('../elsewhere/Llama-3.1-8B');
      assert.match(out, /outside the workspace folders/);
      assert.ok(out.includes(path.join(outsideModel, 'config.json').split(path.sep).join('/')) || out.includes(outsideModel), out);
      assert.doesNotMatch(await hoverFor('./models/Llama-3.1-8B'), /outside the workspace/);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
