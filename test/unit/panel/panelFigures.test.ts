// The roofline panel's figures worked out from the config shapes and the datasheets, for a dense and an MoE model
// on three GPUs. (This replaced the temporary before/after equivalence check of the refactor that moved the panel's
// roofline and operator model into src/core: the 190 panel states it compared were identical.)
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ModelFiles } from '../../../src/core/types';
import { DECODE_OPERATOR_LABELS } from '../../../src/core/throughput';
import type { PanelControls, PanelState } from '../../../src/panel/messages';
import { buildPanelState } from '../../../src/panel/state';
import { ROOT } from './helpers';


interface Config {
  hidden_size: number; num_attention_heads: number; num_key_value_heads: number; head_dim?: number; intermediate_size: number;
  vocab_size: number; num_hidden_layers: number; num_experts?: number; num_experts_per_tok?: number; moe_intermediate_size?: number;
}

function read(rel: string): { files: ModelFiles; c: Config } {
  const config = JSON.parse(fs.readFileSync(path.join(ROOT, rel), 'utf8'));
  return { files: { config, nameHint: path.basename(path.dirname(rel)) }, c: config };
}

/** Datasheet figures of the catalog: dense bf16 peak FLOP/s and memory bandwidth. */
const GPUS = {
  'h100-sxm': { peak: 989.4e12, bw: 3.35e12 },
  h200: { peak: 989.4e12, bw: 4.8e12 },
  mi300x: { peak: 1307.4e12, bw: 5.3e12 },
} as const;

const CONTEXT = 8192;

function state(files: ModelFiles): PanelState {
  const controls: PanelControls = {
    gpus: Object.keys(GPUS), gpuCount: 1, tensorParallel: 1, batch: 16, context: CONTEXT, prompt: 1024, weightPrecision: 'auto', kvCacheDtype: 'auto',
  };
  const r = buildPanelState({ files, inputs: {}, source: 'document' }, controls);
  assert.ok(r.ok, r.ok ? '' : r.message);
  return r.state;
}

/**
 * Decode at batch 1 and context C, bf16, from the shapes: every decoder matrix is read once (for an MoE layer the
 * router and the k experts the token routes to), 2 FLOPs per weight; attention adds 4·H·d FLOPs per cached token per
 * layer and reads 2·Hkv·d·2 bytes of KV per cached token per layer. Norm weights are read too (no FLOPs counted).
 */
function decodeBatch1(c: Config): { flops: number; bytes: number } {
  const h = c.hidden_size;
  const H = c.num_attention_heads;
  const Hkv = c.num_key_value_heads;
  const d = c.head_dim ?? h / H;
  const attention = h * (H + 2 * Hkv) * d + H * d * h;
  const mlp = c.num_experts
    ? h * c.num_experts + c.num_experts_per_tok! * 3 * h * c.moe_intermediate_size!
    : 3 * h * c.intermediate_size;
  const matmulParams = c.num_hidden_layers * (attention + mlp) + h * c.vocab_size;
  const normParams = c.num_hidden_layers * 2 * h + h + (c.head_dim ? c.num_hidden_layers * 2 * d : 0);
  const kvPerToken = c.num_hidden_layers * 2 * Hkv * d * 2;
  return {
    flops: 2 * matmulParams + c.num_hidden_layers * 4 * H * d * CONTEXT,
    bytes: 2 * (matmulParams + normParams) + CONTEXT * kvPerToken,
  };
}

function close(actual: number, expected: number, rel: number, what: string): void {
  assert.ok(Math.abs(actual / expected - 1) <= rel, `${what}: ${actual} vs ${expected} (${((actual / expected - 1) * 100).toFixed(3)}%)`);
}

for (const [name, rel] of [['Llama-3.1-8B', 'examples/models/Llama-3.1-8B/config.json'], ['Qwen3-30B-A3B (MoE)', 'examples/models/Qwen3-30B-A3B/config.json']] as const) {
  describe(`panel figures from the shapes: ${name} on H100, H200, MI300X`, () => {
    const { files, c } = read(rel);
    const s = state(files);

    it('the ridge point of each GPU is its peak FLOP/s over its bandwidth (bf16 roof)', () => {
      assert.deepEqual(s.perGpu.map((g) => g.gpuId), Object.keys(GPUS));
      for (const g of s.perGpu) {
        const { peak, bw } = GPUS[g.gpuId as keyof typeof GPUS];
        const roof = g.roofs.find((r) => r.dtype.split('/').includes('bf16'));
        assert.ok(roof, `a bf16 roof on ${g.gpuId}`);
        assert.equal(roof.peakFlopsPerSecond, peak);
        assert.equal(roof.ridgePointFlopsPerByte, peak / bw, g.gpuId);
        assert.equal(g.bandwidthBytesPerSecond, bw);
      }
    });

    it('decode at batch 1: intensity = FLOPs / bytes from the shapes, far below the ridge (memory-bound)', () => {
      const expected = decodeBatch1(c);
      for (const g of s.perGpu) {
        const p = g.points.find((x) => x.label === 'decode, batch 1');
        assert.ok(p, `a decode batch-1 point on ${g.gpuId}`);
        close(p.arithmeticIntensity, expected.flops / expected.bytes, 0.002, `${g.gpuId} decode batch-1 intensity`);
        close(p.bytes, expected.bytes, 0.002, `${g.gpuId} bytes per step`);
        assert.equal(p.bound, 'memory');
        assert.ok(p.arithmeticIntensity < g.roofs[0].ridgePointFlopsPerByte / 10);
        // Memory-bound: it reaches intensity × bandwidth, and one step takes bytes / bandwidth.
        close(p.attainableFlopsPerSecond, p.arithmeticIntensity * g.bandwidthBytesPerSecond, 1e-12, `${g.gpuId} attainable`);
      }
    });

    it('the attention operator reads the KV cache at H / Hkv FLOP per byte (bf16 KV), whatever the batch', () => {
      for (const g of s.perGpu) {
        const attn = g.points.find((x) => x.label === DECODE_OPERATOR_LABELS.attention);
        assert.ok(attn);
        assert.equal(attn.arithmeticIntensity, c.num_attention_heads / c.num_key_value_heads);
      }
    });
  });
}
