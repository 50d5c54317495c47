// vLLM flags that were listed as "not read": --max-cpu-loras, --limit-mm-per-prompt, --swap-space,
// --calculate-kv-scales. Each is read, checked as vLLM checks it at the releases emulated, and its effect on GPU
// memory is what vLLM's source says: none (said in one finding), or a vision tower left unloaded.
import * as assert from 'assert';
import * as path from 'path';
import { computeBudget } from '../../../src/core/budget';
import { BudgetInputs, BudgetReport, ModelFiles } from '../../../src/core/types';
import { loadModelFiles } from '../../../src/cli/modelFiles';
import { parseDocument } from '../../../src/formats';
import { parseLimitMmPerPrompt, visionTowerModalities } from '../../../src/core/vllmFlags';
import { CONFIGS, readConfig } from './helpers';

function files(rel: string): ModelFiles {
  const loaded = loadModelFiles(path.join(CONFIGS, rel));
  if (!loaded.ok) throw new Error(loaded.message);
  return loaded.files;
}

function report(f: ModelFiles, inputs: BudgetInputs): BudgetReport {
  const r = computeBudget(f, inputs);
  if (!r.ok) throw new Error(r.unsupported);
  return r.report;
}

const nilFinding = (r: BudgetReport) => r.diagnostics.find((d) => d.code === 'flags-without-gpu-memory');
const refusal = (r: BudgetReport) => r.diagnostics.find((d) => d.code === 'engine-refuses-settings');

describe('vLLM flags with no GPU memory, or a tower left unloaded', () => {
  const llama = files('llama3.1/Meta-Llama-3.1-8B');
  const base = { gpu: 'H100', maxModelLen: 8192 };

  it('--max-cpu-loras: CPU memory only; below --max-loras vLLM refuses to start ("max_cpu_loras (2) must be >= max_loras (4)")', () => {
    const lora = { ...base, enableLora: true, maxLoras: 4 };
    const plain = report(llama, lora);
    const cached = report(llama, { ...lora, maxCpuLoras: 8 });
    assert.deepStrictEqual(cached.perGpu, plain.perGpu);
    assert.deepStrictEqual(cached.capacity, plain.capacity);
    assert.match(nilFinding(cached)!.message, /--max-cpu-loras 8 \(adapters cached in CPU memory/);
    const low = report(llama, { ...lora, maxCpuLoras: 2 });
    const d = refusal(low)!;
    assert.deepStrictEqual([d.severity, d.subject, d.suggestedValue], ['error', 'maxCpuLoras', 4]);
    assert.match(d.message, /max_cpu_loras \(2\) must be >= max_loras \(4\)/);
    assert.strictEqual(low.verdict.fits, false);
    // 0 means "as many as --max-loras" (EngineArgs passes None), and without --enable-lora the flag is unused.
    assert.strictEqual(refusal(report(llama, { ...lora, maxCpuLoras: 0 })), undefined);
    assert.match(nilFinding(report(llama, { ...base, maxCpuLoras: 2 }))!.message, /without --enable-lora: not used/);
  });

  it('--swap-space: V0\'s CPU swap, unused by V1; vLLM 0.18+ has no such flag and stops at "unrecognized arguments"', () => {
    const v17 = { ...base, engine: 'vllm@0.17.0' };
    const swap = report(llama, { ...v17, swapSpace: 16 });
    assert.deepStrictEqual(swap.perGpu, report(llama, v17).perGpu);
    assert.match(nilFinding(swap)!.message, /--swap-space 16 \(CPU swap of the V0 engine; V1 recomputes preempted requests/);
    assert.match(nilFinding(report(llama, { ...base, engine: 'vllm@0.6.4', swapSpace: 4 }))!.message, /GiB of CPU memory per GPU/);
    const refused = refusal(report(llama, { ...base, engine: 'vllm@0.18.0', swapSpace: 4 }))!;
    assert.deepStrictEqual([refused.severity, refused.subject], ['error', 'swapSpace']);
    assert.match(refused.message, /removed with the V0 engine in 0\.18, #36216/);
  });

  it('--calculate-kv-scales: nothing on the GPU (with fp8 KV it computes scales; without, nothing); refused from 0.26', () => {
    const fp8 = report(llama, { ...base, kvCacheDtype: 'fp8', calculateKvScales: true });
    assert.deepStrictEqual(fp8.perGpu, report(llama, { ...base, kvCacheDtype: 'fp8' }).perGpu);
    assert.match(nilFinding(fp8)!.message, /--calculate-kv-scales \(fp8 KV scales computed in the first forward pass\)/);
    assert.match(nilFinding(report(llama, { ...base, calculateKvScales: true }))!.message, /the KV cache is not fp8, so it does nothing/);
    assert.strictEqual(nilFinding(report(llama, { ...base, calculateKvScales: false })), undefined);
    assert.strictEqual(refusal(report(llama, { ...base, engine: 'vllm@0.25.0', calculateKvScales: true })), undefined);
    assert.match(refusal(report(llama, { ...base, engine: 'vllm@0.26.0', calculateKvScales: true }))!.message, /removed in 0\.26, #49389/);
  });

  it('--limit-mm-per-prompt: 0 images on Gemma 3 leaves the SigLIP tower and projector unloaded, as a text-only config', () => {
    const gemma = files('gemma3/gemma-3-4b-it');
    const inputs = { gpu: 'L4', maxModelLen: 8192 };
    const loaded = report(gemma, inputs);
    const unloaded = report(gemma, { ...inputs, limitMmPerPrompt: '{"image": 0}' });
    // The same checkpoint without its vision_config: only the language model.
    const textOnlyConfig = { ...readConfig('gemma3/gemma-3-4b-it') };
    delete textOnlyConfig.vision_config;
    const textOnly = report({ config: textOnlyConfig }, inputs);
    assert.strictEqual(unloaded.perGpu.weightBytes, textOnly.perGpu.weightBytes);
    // SigLIP-So400m at 896 px (hidden 1,152, 27 layers, MLP 4,304, patch 14): per layer q, k, v, o with biases, two
    // LayerNorms, fc1/fc2 with biases; the patch conv, 64² positions; Gemma 3's projector 1,152 → 2,560 and its norm.
    const h = 1152, inter = 4304, text = 2560;
    const siglip = 27 * (4 * (h * h + h) + 2 * 2 * h + 2 * h * inter + inter + h) + (3 * 14 * 14 * h + h) + 64 * 64 * h + h * text + h;
    const dropped = (loaded.perGpu.weightBytes - unloaded.perGpu.weightBytes) / 2;   // bf16, replicated
    assert.ok(Math.abs(dropped / siglip - 1) < 1e-3, `${dropped} vs ${siglip}`);
    assert.ok(unloaded.diagnostics.some((d) => d.code === 'multimodal-limits' && /does not build or load the vision tower/.test(d.message)));
    // More KV memory follows from the lighter weights.
    assert.ok(unloaded.capacity.kvCacheTokens > loaded.capacity.kvCacheTokens);
  });

  it('--limit-mm-per-prompt on Qwen2.5-VL: its tower also serves video (999 unless set), so image 0 alone keeps it', () => {
    const qwen = files('multimodal/Qwen2.5-VL-7B-Instruct');
    assert.deepStrictEqual(visionTowerModalities(qwen.config), ['image', 'video']);
    assert.deepStrictEqual(visionTowerModalities(readConfig('gemma3/gemma-3-4b-it')), ['image']);
    const inputs = { gpu: 'H100', maxModelLen: 8192 };
    const loaded = report(qwen, inputs);
    const imageOnly = report(qwen, { ...inputs, limitMmPerPrompt: '{"image": 0}' });
    assert.strictEqual(imageOnly.perGpu.weightBytes, loaded.perGpu.weightBytes);
    assert.ok(imageOnly.diagnostics.some((d) => d.code === 'multimodal-limits' && /encoder's dummy batch .* is not modelled/.test(d.message)));
    const none = report(qwen, { ...inputs, limitMmPerPrompt: '{"image": 0, "video": {"count": 0, "num_frames": 8}}' });
    assert.ok(none.perGpu.weightBytes < loaded.perGpu.weightBytes);
    // A text-only model has no tower to leave out.
    assert.match(nilFinding(report(llama, { ...base, limitMmPerPrompt: '{"image": 0}' }))!.message, /no vision tower/);
  });

  it('--limit-mm-per-prompt is checked as MultiModalConfig reads it; a bad value is refused with the reason, never sized', () => {
    assert.deepStrictEqual(parseLimitMmPerPrompt('{"image": 2, "video": {"count": 0}, "audio": {"length": 30}}'), { ok: true, limits: { image: 2, video: 0, audio: 999 } });
    for (const [text, why] of [
      ['{image: 0}', /JSON object/], ['[1, 2]', /JSON object/], ['{"image": -1}', /whole number/], ['{"image": 1.5}', /whole number/],
      ['{"image": {"count": 1, "fps": 2}}', /takes count, width, height \(not fps\)/], ['{"image": {"count": "2"}}', /count must be a whole number/],
    ] as const) {
      const p = parseLimitMmPerPrompt(text);
      assert.ok(!p.ok && why.test(p.message), `${text}: ${JSON.stringify(p)}`);
      const r = computeBudget(llama, { ...base, limitMmPerPrompt: text });
      assert.ok(!r.ok && r.diagnostics[0].subject === 'limitMmPerPrompt', JSON.stringify(r));
    }
  });

  it('the readers take the four flags (and --speculative-config "model") from the inputs table: none is listed as not read', () => {
    const text = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: c\n      image: vllm/vllm-openai:v0.17.0\n'
      + '      args: ["--model", "m", "--max-cpu-loras", "8", "--swap-space", "4", "--calculate-kv-scales", "--limit-mm-per-prompt", \'{"image": 0}\', '
      + '"--speculative-config", \'{"method": "eagle3", "model": "yuhuili/EAGLE3-LLaMA3.1-Instruct-8B", "num_speculative_tokens": 3}\']\n';
    const d = parseDocument('p.yaml', text).deployments[0];
    assert.deepStrictEqual(
      [d.inputs.maxCpuLoras, d.inputs.swapSpace, d.inputs.calculateKvScales, d.inputs.limitMmPerPrompt, d.inputs.speculativeModel],
      [8, 4, true, '{"image": 0}', 'yuhuili/EAGLE3-LLaMA3.1-Instruct-8B'],
    );
    assert.strictEqual(d.unread, undefined);
    const cfg = parseDocument('serve.yaml', 'model: m\nmax-model-len: 4096\nswap-space: 8\nmax-cpu-loras: 2\n').deployments[0];
    assert.deepStrictEqual([cfg.inputs.swapSpace, cfg.inputs.maxCpuLoras, cfg.unread], [8, 2, undefined]);
  });
});
