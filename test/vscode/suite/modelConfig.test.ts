// Hovers, diagnostics and CodeLens on real Hugging Face config.json files from the corpus.
import * as assert from 'assert';
import * as path from 'path';
import * as vscode from 'vscode';
import {
  activate, closeAll, codeLenses, codeOf, hoverText, integersIn, n, open, positionOf, resetSettings, setSetting,
  waitForCode, waitForDiagnostics, workspaceRoot,
} from './helpers';
import { Config, kvBytesPerTokenGqa, kvBytesPerTokenMha, kvBytesPerTokenMla, llamaParameters, qwen3MoeParameters, readConfig } from './shapes';

const LLAMA = 'models/Meta-Llama-3.1-8B/config.json';
const QWEN_MOE = 'models/Qwen3-30B-A3B/config.json';
const DEEPSEEK = 'models/DeepSeek-V3/config.json';
const GEMMA = 'models/gemma-3-27b-it/config.json';

const cfg = (rel: string): Config => readConfig(path.join(workspaceRoot(), rel));

describe('model config.json', function () {
  before(async () => {
    await activate();
    await resetSettings(['defaultGpu', 'gpuCount', 'workload.batch']);
  });
  after(closeAll);

  it('Llama-3.1-8B: hover on num_key_value_heads gives KV bytes per token and the saving over full MHA', async () => {
    const c = cfg(LLAMA);
    const kv = kvBytesPerTokenGqa(c); // 2 · 32 · 8 · 128 · 2 = 131072
    assert.strictEqual(kv, 131072);
    const mha = kvBytesPerTokenMha(c); // 2 · 32 · 32 · 128 · 2 = 524288
    const doc = await open(LLAMA);
    const text = await hoverText(doc, positionOf(doc, '"num_key_value_heads"', 3), /KV cache per token/);
    assert.ok(text.includes(`${n(kv)} B`), text);
    assert.ok(text.includes(`${n(mha)} B`), text);
    assert.ok(text.includes(`${n(mha - kv)} B`), `saving ${mha - kv} B: ${text}`);
    assert.ok(text.includes(`${mha / kv}× smaller`), text);
  });

  it('Llama-3.1-8B: hover on max_position_embeddings gives the KV of one full-length request and the verdict on H100', async () => {
    const c = cfg(LLAMA);
    const perRequest = c.max_position_embeddings * kvBytesPerTokenGqa(c); // 131072 tokens × 128 KiB = 16 GiB
    const doc = await open(LLAMA);
    const text = await hoverText(doc, positionOf(doc, '131072', 2), /One request/);
    assert.ok(text.includes(`${n(c.max_position_embeddings)} tokens`), text);
    assert.ok(text.includes(`${n(perRequest)} B`), `expected ${n(perRequest)} B in ${text}`);
    // 16 GiB of KV next to ~15 GiB of bf16 weights fits in 90 % of an 80 GB H100.
    assert.match(text, /H100/);
    assert.match(text, /Fits/);
  });

  it('Llama-3.1-8B: the architectures line shows the summary card with exact parameters and a roofline link', async () => {
    const c = cfg(LLAMA);
    const params = llamaParameters(c);
    assert.strictEqual(params, 8_030_261_248);
    const doc = await open(LLAMA);
    const text = await hoverText(doc, positionOf(doc, 'LlamaForCausalLM', 2), /Parameters/);
    assert.ok(text.includes(n(params)), `parameters ${n(params)} in ${text}`);
    assert.ok(text.includes(`${n(kvBytesPerTokenGqa(c))} B`), text);
    assert.match(text, /Largest context that fits/);
    assert.match(text, /Concurrency at 131,072 tokens/);
    assert.match(text, /Decode, batch 1 \| ~[\d.,]+ tok\/s expected \([\d.,]+–[\d.,]+\) · ceiling [\d.,]+ tok\/s \(memory-bound\)/);
    assert.match(text, /First token, [\d,]+-token prompt \| ~[\d.]+ m?s expected · floor [\d.]+ m?s/);
    // 1,024 tokens of KV (128 MiB) per request against ~2 × 7.5 GFLOP of arithmetic: ~112 FLOP/byte, under the
    // H100's ridge (~295), so no batch makes decode compute-bound.
    assert.match(text, /Compute-bound from, at 1,024 tokens \| no batch/);
    assert.match(text, /Decode, \d[\d,]* full-length requests/);
    assert.match(text, /command:inferenceBudget\.openRoofline\?/);
    // Weights: 8,030,261,248 parameters × 2 bytes (bf16) = 16,060,522,496 B = 14.96 GiB.
    assert.ok(text.includes(`${(params * 2 / 2 ** 30).toFixed(2)} GiB bfloat16`), text);
  });

  it('Llama-3.1-8B: CodeLens on the architectures line says it fits on the default GPU', async () => {
    const doc = await open(LLAMA);
    const lenses = await codeLenses(doc, /fits/);
    assert.strictEqual(lenses.length, 1);
    const title = lenses[0].command!.title;
    assert.match(title, /1× NVIDIA H100/);
    assert.match(title, /\$\(pass\) fits/);
    assert.match(title, /max concurrency [\d.]+ × 131,072 tokens/);
    assert.match(title, /tok\/s/);
    assert.strictEqual(lenses[0].range.start.line, positionOf(doc, '"architectures"').line);
    assert.strictEqual(lenses[0].command!.command, 'inferenceBudget.openRoofline');
  });

  it('Qwen3-30B-A3B (MoE): total and active parameters and KV per token from its shapes', async () => {
    const c = cfg(QWEN_MOE);
    const total = qwen3MoeParameters(c);
    // Active per token: 8 of 128 experts, without the input embedding (a lookup, not a matmul).
    const active = qwen3MoeParameters(c, c.num_experts_per_tok) - c.vocab_size * c.hidden_size;
    const kv = kvBytesPerTokenGqa(c); // 2 · 48 · 4 · 128 · 2 = 98304
    assert.strictEqual(kv, 98304);
    const doc = await open(QWEN_MOE);
    const text = await hoverText(doc, positionOf(doc, 'Qwen3MoeForCausalLM', 2), /Parameters/);
    assert.ok(text.includes(n(total)), `total ${n(total)} in ${text}`);
    assert.ok(text.includes(n(active)), `active ${n(active)} in ${text}`);
    assert.ok(text.includes(`${n(kv)} B`), text);
  });

  it('DeepSeek-V3 (MLA): KV per token is the latent, and num_key_value_heads brings no saving', async () => {
    const c = cfg(DEEPSEEK);
    const kv = kvBytesPerTokenMla(c); // 61 · (512 + 64) · 2 = 70272
    assert.strictEqual(kv, 70272);
    const doc = await open(DEEPSEEK);
    const text = await hoverText(doc, positionOf(doc, '"num_key_value_heads"', 3), /KV cache per token/);
    assert.ok(text.includes(`${n(kv)} B`), text);
    assert.match(text, /does not shrink/);
  });

  it('DeepSeek-V3: 671B parameters in fp8 do not fit one H100: said on the config, as information (no GPU was chosen there)', async () => {
    const doc = await open(DEEPSEEK);
    const d = await waitForCode(doc.uri, 'weights-do-not-fit');
    // A bare config.json describes a model, not a deployment: not fitting the default GPU is not an error.
    assert.strictEqual(d.severity, vscode.DiagnosticSeverity.Information);
    // The responsible place in a config.json is the architectures key (the model itself).
    assert.strictEqual(d.range.start.line, positionOf(doc, '"architectures"').line);
    const lenses = await codeLenses(doc, /weights do not fit/);
    assert.strictEqual(lenses.length, 1);
  });

  it('gemma-3-27b-it: nested text_config keys get hovers', async () => {
    const c = cfg(GEMMA);
    const t = c.text_config;
    const kv = 2 * t.num_hidden_layers * t.num_key_value_heads * t.head_dim * 2; // 2 · 62 · 16 · 128 · 2
    const doc = await open(GEMMA);
    const text = await hoverText(doc, positionOf(doc, '"num_key_value_heads"', 3), /KV cache per token/);
    assert.ok(text.includes(`${n(kv)} B`), `expected ${n(kv)} B: ${text}`);
  });

  it('a context that does not fit the target GPU is a warning on max_position_embeddings', async () => {
    // Llama-3.1-8B on one 24 GB L4: ~15 GiB of weights leave far less than the 16 GiB one 131,072-token request needs.
    await setSetting('defaultGpu', 'L4');
    try {
      const doc = await open(LLAMA);
      const d = await waitForCode(doc.uri, 'context-does-not-fit');
      assert.strictEqual(d.severity, vscode.DiagnosticSeverity.Warning);
      assert.strictEqual(doc.getText(d.range), '131072');
      // The largest context in the message is below what the L4's memory could hold at all.
      const c = cfg(LLAMA);
      const bound = Math.floor((24e9 - llamaParameters(c) * 2) / kvBytesPerTokenGqa(c));
      const largest = integersIn(d.message).filter((x) => x > 1000 && x < c.max_position_embeddings);
      assert.ok(largest.length > 0 && largest.every((x) => x <= bound), `${d.message} (bound ${bound})`);
    } finally {
      await resetSettings(['defaultGpu']);
    }
    const doc = await open(LLAMA);
    await waitForDiagnostics(doc.uri, (ds) => !ds.some((x) => codeOf(x) === 'context-does-not-fit'));
  });
});
