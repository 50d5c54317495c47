// `inference-budget model.gguf`: the header of a GGUF file (every part of a split model) read from disk in bounded
// reads and sized with llama.cpp's rules. The files are written here (ggufWriter.ts); expected bytes are worked out
// from ggml's block sizes and llama.cpp's placement rules, not taken from the engine.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseCliArgs, runCliAsync, UsageError } from '../../../src/cli/main';
import { capture } from './helpers';
import { GgufTensorSpec, TINY, TINY_LLAMA_EMBEDDING, TINY_LLAMA_META, TINY_LLAMA_OUTPUT, tinyLlamaLayer, writeGguf } from './ggufWriter';

const { LAYERS, KV_HEADS, HEAD_DIM, CONTEXT } = TINY;
const META = TINY_LLAMA_META;
const layer = tinyLlamaLayer;
const TOKEN_EMBD = TINY_LLAMA_EMBEDDING;
const OUTPUT = TINY_LLAMA_OUTPUT;
const sum = (ts: GgufTensorSpec[]): number => ts.reduce((t, x) => t + x.bytes, 0);

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const c = capture();
  const code = await runCliAsync(args, c.out, c.err);
  return { code, out: c.stdout(), err: c.stderr() };
}

describe('inference-budget FILE.gguf', function () {
  this.timeout(20_000);
  let dir: string;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ib-gguf-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('sizes a GGUF file with llama.cpp rules: every tensor on the GPU but the input embedding, f16 KV for the whole context', async () => {
    const file = path.join(dir, 'tiny-llama-Q4_K_M.gguf');
    writeGguf(file, META, [TOKEN_EMBD, ...OUTPUT, ...layer(0), ...layer(1)]);
    const r = await run([file, '--json', '--gpu', 'H100']);
    assert.strictEqual(r.code, 0, r.err);
    const j = JSON.parse(r.out);
    assert.strictEqual(j.settings.engine, 'llamacpp');
    // The file's own type is the quantization; the model is named by its metadata.
    assert.strictEqual(j.model.weightDtype, 'q4_k_m');
    assert.strictEqual(j.model.name, 'tiny-llama');
    // Spot check of the writer's arithmetic: Q4_K is 144 bytes per 256 values, so a 256 × 256 matrix is 36,864 bytes.
    assert.strictEqual(layer(0)[1].bytes, 256 * 144);
    // llama.cpp keeps token_embd on the host; with every layer offloaded (ngl > n_layer) the output goes to the GPU too.
    assert.strictEqual(j.perGpu.weightBytes, sum([...OUTPUT, ...layer(0), ...layer(1)]));
    assert.strictEqual(j.capacity.gpuLayers, LAYERS + 1);
    // K and V of 2 KV heads × 64 in f16, per layer, per token; the whole training context fits.
    const kvPerToken = LAYERS * 2 * KV_HEADS * HEAD_DIM * 2;
    assert.strictEqual(j.perGpu.kvBytesPerToken, kvPerToken);
    assert.strictEqual(j.capacity.kvCacheTokens, CONTEXT);
    assert.strictEqual(j.perGpu.kvCacheBytes, kvPerToken * CONTEXT);
  });

  it('-ngl N offloads the last N layers only (and the output layer only when N > n_layer)', async () => {
    const file = path.join(dir, 'tiny-ngl.gguf');
    writeGguf(file, META, [TOKEN_EMBD, ...OUTPUT, ...layer(0), ...layer(1)]);
    const r = await run([file, '--json', '--n-gpu-layers', '1']);
    assert.strictEqual(r.code, 0, r.err);
    const j = JSON.parse(r.out);
    assert.strictEqual(j.perGpu.weightBytes, sum(layer(1)));
    assert.strictEqual(j.capacity.gpuLayers, 1);
  });

  it('reads every part of a split model, whichever part is named', async () => {
    const first = path.join(dir, 'tiny-00001-of-00002.gguf');
    const second = path.join(dir, 'tiny-00002-of-00002.gguf');
    writeGguf(first, [...META, ['split.no', 0], ['split.count', 2]], [TOKEN_EMBD, ...OUTPUT, ...layer(0)]);
    writeGguf(second, [['split.no', 1], ['split.count', 2]], layer(1));
    const r = await run([second, '--json']);
    assert.strictEqual(r.code, 0, r.err);
    assert.strictEqual(JSON.parse(r.out).perGpu.weightBytes, sum([...OUTPUT, ...layer(0), ...layer(1)]));
    fs.rmSync(second);
    const missing = await run([first]);
    assert.strictEqual(missing.code, 2);
    assert.match(missing.err, /missing tiny-00002-of-00002\.gguf/);
    assert.strictEqual(missing.err.trim().split('\n').length, 1);
  });

  it('reads the header only: a file whose tensor data is 16 GiB (sparse) is sized as quickly', async () => {
    const file = path.join(dir, 'big.gguf');
    writeGguf(file, META, [TOKEN_EMBD, ...OUTPUT, ...layer(0), ...layer(1)], true);
    fs.truncateSync(file, 16 * 2 ** 30);
    // Reading 16 GiB would outlast the test's timeout many times over; the header is a few KB.
    const r = await run([file, '--json']);
    assert.strictEqual(r.code, 0, r.err);
    assert.strictEqual(JSON.parse(r.out).perGpu.weightBytes, sum([...OUTPUT, ...layer(0), ...layer(1)]));
  });

  it('--engine picks other rules; what is not a GGUF file is an error of one line', async () => {
    const file = path.join(dir, 'tiny-vllm.gguf');
    writeGguf(file, META, [TOKEN_EMBD, ...OUTPUT, ...layer(0), ...layer(1)]);
    const v = await run([file, '--json', '--engine', 'vllm@0.19.0']);
    assert.strictEqual(v.code, 0, v.err);
    assert.strictEqual(JSON.parse(v.out).settings.engine, 'vllm');
    const bad = path.join(dir, 'bad.gguf');
    fs.writeFileSync(bad, 'PK\u0003\u0004 not a gguf file at all');
    const r = await run([bad]);
    assert.strictEqual(r.code, 2);
    assert.match(r.err, /not a GGUF file/);
    assert.strictEqual(r.err.trim().split('\n').length, 1);
  });

  it('the options come from the inputs table: switches and their --no- forms, --max-model-len auto', () => {
    const p = parseCliArgs(['m.gguf', '--no-fit', '--flash-attn', '--n-gpu-layers', '20', '--ubatch-size', '1024', '--max-model-len', 'auto', '--enforce-eager']);
    assert.deepStrictEqual(p.inputs, { fit: false, flashAttention: true, gpuLayers: 20, ubatch: 1024, maxModelLen: -1, enforceEager: true });
    assert.throws(() => parseCliArgs(['m.gguf', '--fit', '--no-fit']), UsageError);
  });
});
