import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseCliArgs, runCli } from '../../../src/cli/main';
import { CONFIGS } from './helpers';

function run(args: string[]): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const code = runCli(args, (s) => { out += s + '\n'; }, (s) => { err += s + '\n'; });
  return { code, out, err };
}

describe('inference-budget CLI', () => {
  const llama = path.join(CONFIGS, 'llama3.1/Meta-Llama-3.1-8B');

  it('prints one JSON object with the documented fields', () => {
    const r = run([llama, '--json', '--max-model-len', '8192', '--gpu-memory-utilization', '0.95']);
    assert.strictEqual(r.code, 0, r.err);
    const j = JSON.parse(r.out);
    for (const key of ['parametersTotal', 'parametersActive', 'weightBytes', 'kvBytesPerToken']) assert.strictEqual(typeof j.model[key], 'number', key);
    for (const key of ['totalMemoryBytes', 'requestedMemoryBytes', 'weightBytes', 'activationPeakBytes', 'nonTorchBytes', 'cudaGraphBytes', 'kvCacheBytes']) assert.strictEqual(typeof j.perGpu[key], 'number', key);
    for (const key of ['fits', 'kvCacheTokens', 'maxConcurrency', 'maxModelLen', 'estimatedMaxModelLen']) assert.ok(key in j.capacity, key);
    assert.strictEqual(typeof j.decode.tokensPerSecondPerRequest, 'number');
    assert.strictEqual(typeof j.decode.tokensPerSecondTotal, 'number');
    assert.strictEqual(typeof j.prefill.seconds, 'number');
    assert.ok(Array.isArray(j.diagnostics));
    assert.strictEqual(j.model.kvBytesPerToken, 2 * 32 * 8 * 128 * 2);
    assert.strictEqual(j.capacity.maxModelLen, 8192);
  });

  it('exits 1 and explains when the deployment does not fit', () => {
    const r = run([llama, '--gpu', '4090', '--max-model-len', '131072']);
    assert.strictEqual(r.code, 1);
    assert.match(r.out, /does not fit: max_model_len 131,072 needs 16\.00 GiB of KV per request/);
  });

  it('accepts every documented option', () => {
    const r = run([llama, '--gpu', 'A100 SXM 80GB', '--gpus', '2', '--tp', '2', '--pp', '1', '--max-model-len', '32k', '--gpu-memory-utilization', '0.9',
      '--max-num-batched-tokens', '4096', '--max-num-seqs', '64', '--dtype', 'float16', '--quantization', 'fp8', '--kv-cache-dtype', 'fp8',
      '--engine', 'vllm@0.19.0', '--batch', '8', '--context', '4096', '--prompt', '2048', '--json']);
    assert.strictEqual(r.code, 0, r.err);
    const j = JSON.parse(r.out);
    assert.deepStrictEqual([j.settings.tensorParallel, j.settings.maxModelLen, j.settings.maxNumSeqs, j.decode.batch, j.prefill.promptTokens], [2, 32000, 64, 8, 2048]);
  });

  it('rejects bad arguments with one line and a non-zero exit', () => {
    for (const args of [[llama, '--tp', 'two'], [llama, '--frobnicate'], [], ['/nonexistent/config.json'], [llama, '--gpu', 'Banana'], [llama, '--tp', '-1'], [llama, llama]]) {
      const r = run(args);
      assert.ok(r.code >= 2, `${args.join(' ')} -> ${r.code}`);
      assert.strictEqual(r.err.trim().split('\n').length, 1, r.err);
    }
    assert.strictEqual(parseCliArgs(['x', '--max-model-len', '1K']).inputs.maxModelLen, 1024);
  });
  it('names the engine it sized with and prints the expected speed beside the ceiling', () => {
    for (const [engine, name] of [['vllm@0.19.0', 'vLLM 0.19.0'], ['sglang@0.5.6', 'SGLang 0.5.6']]) {
      const r = run([llama, '--gpu', 'H100', '--max-model-len', '8192', '--engine', engine]);
      assert.strictEqual(r.code, 0, r.err);
      assert.ok(r.out.split('\n')[0].includes(`, ${name}, TP 1`), r.out);
      const decode = /Decode .*: ~([\d.]+) tok\/s per request expected \(([\d.]+) tok\/s–([\d.]+) tok\/s\).* ceiling ([\d.]+) tok\/s per request/.exec(r.out);
      assert.ok(decode, r.out);
      const [expected, low, high, ceiling] = decode.slice(1).map(Number);
      // Batch 1 on an H100 reads the bf16 weights but one row of the input embedding (128,256 × 4,096) per token,
      // plus a little KV cache: the ceiling is 3.35 TB/s over that, and a serving engine reaches some but not all of it.
      const bytesPerToken = (8_030_261_248 - 128_256 * 4096) * 2;
      assert.ok(Math.abs(ceiling / (3.35e12 / bytesPerToken) - 1) < 0.02, `ceiling ${ceiling}`);
      assert.ok(low <= expected && expected <= high && expected < ceiling && expected > 0.4 * ceiling, r.out);
      assert.match(r.out, /Prefill .*~[\d.]+ m?s expected · floor [\d.]+ m?s/);
    }
  });
  it('says what is wrong with a negative value instead of "argument is ambiguous"', () => {
    const r = run([llama, '--tp', '-1']);
    assert.strictEqual(r.code, 2);
    assert.match(r.err, /tensorParallel must be a positive integer \(got -1\)/);
    assert.doesNotMatch(r.err, /ambiguous/);
  });

  it('never sends control characters from a config to the terminal', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ib-ctl-'));
    try {
      const config = JSON.parse(fs.readFileSync(path.join(llama, 'config.json'), 'utf8'));
      fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...config, _name_or_path: 'evil\u001b[2J\u0007name' }));
      const r = run([dir, '--max-model-len', '8192']);
      assert.strictEqual(r.code, 0, r.err);
      assert.ok(!/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/.test(r.out), JSON.stringify(r.out.slice(0, 200)));
      assert.match(r.out, /evil\\u001b\[2J\\u0007name/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
