// llama-server's `-sm / --split-mode`, `-mg / --main-gpu` and `--kv-unified` / `--no-kv-unified` (common/arg.cpp:
// `{"-kvu", "--kv-unified"}` with the negative forms `{"-no-kvu", "--no-kv-unified"}`, env LLAMA_ARG_SPLIT_MODE,
// LLAMA_ARG_MAIN_GPU, LLAMA_ARG_KV_UNIFIED) read from command lines and environments, and the CLI's options for them.
import * as assert from 'assert';
import * as path from 'path';
import { DeploymentSpec, editForInput, parseDocument } from '../../../src/formats';
import { parseCliArgs, runCli } from '../../../src/cli/main';
import { CONFIGS } from '../core/helpers';
import { apply, k8sDeployment, replaceOnce, slice } from './helpers';

function one(text: string): DeploymentSpec {
  const doc = parseDocument('d.yaml', text);
  assert.strictEqual(doc.deployments.length, 1);
  return doc.deployments[0];
}

const llama = (args: string, env = ''): string => k8sDeployment(`      - name: llama
        image: ghcr.io/ggml-org/llama.cpp:server-cuda
        args: ${args}
${env}        resources:
          limits:
            nvidia.com/gpu: 2
`);

describe('formats: llama-server split mode, main GPU and unified KV', () => {
  it('reads -sm, -mg and --no-kv-unified from the command line, none of them left unread', () => {
    const text = llama('["-m", "/m/Llama-3.2-1B-Q8_0.gguf", "-sm", "row", "-mg", "1", "-ts", "3,1", "--no-kv-unified", "-np", "2"]');
    const d = one(text);
    assert.deepStrictEqual(d.inputs, {
      engine: 'llamacpp', quantization: 'q8_0', splitMode: 'row', mainGpu: 1, tensorSplit: '3,1', kvUnified: false, maxNumSeqs: 2, gpuCount: 2,
    });
    assert.strictEqual(d.unread, undefined);
    assert.strictEqual(slice(text, d.keyRanges.kvUnified), '--no-kv-unified');
    assert.strictEqual(slice(text, d.valueRanges.splitMode), 'row');
    // A quick fix writes the split mode where it is.
    assert.strictEqual(apply(text, editForInput(text, d, 'splitMode', 'layer')), replaceOnce(text, '"row"', '"layer"'));
  });

  it('reads the long spellings and -no-kvu; the last of --kv-unified / --no-kv-unified wins, with a warning', () => {
    const d = one(llama('["-m", "/m/x-Q4_K_M.gguf", "--split-mode", "none", "--main-gpu", "1", "-no-kvu"]'));
    assert.deepStrictEqual([d.inputs.splitMode, d.inputs.mainGpu, d.inputs.kvUnified], ['none', 1, false]);
    const doc = parseDocument('d.yaml', llama('["-m", "/m/x-Q4_K_M.gguf", "--kv-unified", "--no-kv-unified"]'));
    assert.strictEqual(doc.deployments[0].inputs.kvUnified, false);
    assert.ok(doc.problems.some((p) => /given again later/.test(p.message)));
    const on = one(llama('["-m", "/m/x-Q4_K_M.gguf", "-kvu"]'));
    assert.strictEqual(on.inputs.kvUnified, true);
  });

  it('reads LLAMA_ARG_SPLIT_MODE, LLAMA_ARG_MAIN_GPU and LLAMA_ARG_KV_UNIFIED from the environment', () => {
    const env = `        env:
          - name: LLAMA_ARG_SPLIT_MODE
            value: "none"
          - name: LLAMA_ARG_MAIN_GPU
            value: "1"
          - name: LLAMA_ARG_KV_UNIFIED
            value: "false"
`;
    const d = one(llama('["-m", "/m/x-Q4_K_M.gguf"]', env));
    assert.deepStrictEqual([d.inputs.splitMode, d.inputs.mainGpu, d.inputs.kvUnified], ['none', 1, false]);
    assert.strictEqual(d.unread, undefined);
  });
});

describe('CLI: --engine llamacpp with --split-mode, --main-gpu and --no-kv-unified', () => {
  const model = path.join(CONFIGS, 'llama3.2/Llama-3.2-1B');
  function run(args: string[]): { code: number; out: string; err: string } {
    let out = '';
    let err = '';
    const code = runCli(args, (s) => { out += s + '\n'; }, (s) => { err += s + '\n'; });
    return { code, out, err };
  }

  it('takes the options from the inputs table', () => {
    const a = parseCliArgs([model, '--engine', 'llamacpp', '--split-mode', 'row', '--main-gpu', '1', '--no-kv-unified']);
    assert.deepStrictEqual([a.inputs.splitMode, a.inputs.mainGpu, a.inputs.kvUnified], ['row', 1, false]);
  });

  it('sizes --split-mode none on the --main-gpu: 16 layers of KV on GPU 1, nothing on GPU 0', () => {
    const r = run([model, '--json', '--engine', 'llamacpp', '--gpu', 'H100 SXM', '--gpus', '2', '--max-model-len', '8192', '--split-mode', 'none', '--main-gpu', '1']);
    assert.strictEqual(r.code, 0, r.err);
    const j = JSON.parse(r.out) as { perGpu: { split: Array<{ gpu: number; layers: number; kvBytes: number; bytes: number }> } };
    // 8,192 cells × (8 KV heads × 64 × 2 bytes × K and V) per layer.
    assert.deepStrictEqual(j.perGpu.split.map((g) => [g.gpu, g.layers, g.kvBytes]), [[0, 0, 0], [1, 16, 16 * 8192 * 8 * 64 * 2 * 2]]);
    assert.strictEqual(j.perGpu.split[0].bytes, 0);
    const bad = run([model, '--engine', 'llamacpp', '--gpus', '2', '--split-mode', 'sideways']);
    assert.notStrictEqual(bad.code, 0);
    assert.match(bad.out + bad.err, /--split-mode sideways is not one of none, layer, row/);
  });
});
