// A separate draft model (`--speculative-model`, or `--speculative-config '{"model": ...}'` in a deployment) is resolved
// like the model itself, by the config command and by check, and vLLM's startup then holds its weights and gives its
// attention layers KV cache beside the model's. Expected bytes are counted here from Llama-3.2-1B's config.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { main } from '../../../src/cli/main';
import { checkFiles } from '../../../src/cli/check';
import { capture, ROOT, tempTree } from './helpers';

const CONFIGS = path.resolve(ROOT, '..', 'shared', 'model-configs');
const LLAMA_8B = path.join(CONFIGS, 'llama3.1', 'Meta-Llama-3.1-8B');
const LLAMA_1B = path.join(CONFIGS, 'llama3.2', 'Llama-3.2-1B');
const draftConfig = JSON.parse(fs.readFileSync(path.join(LLAMA_1B, 'config.json'), 'utf8')) as Record<string, number>;

/** Llama-3.2-1B's parameters by hand: tied embeddings (one table), layers (q, k, v, o, gated MLP, two norms), final norm. */
function tiedLlamaParameters(c: Record<string, number>): number {
  const h = c.hidden_size;
  const headDim = c.head_dim ?? h / c.num_attention_heads;
  const attention = 2 * h * c.num_attention_heads * headDim + 2 * h * c.num_key_value_heads * headDim;
  return c.vocab_size * h + c.num_hidden_layers * (attention + 3 * h * c.intermediate_size + 2 * h) + h;
}

/** K and V of every layer in bf16. */
const kvBytesPerToken = (c: Record<string, number>) => 2 * c.num_hidden_layers * c.num_key_value_heads * (c.head_dim ?? c.hidden_size / c.num_attention_heads) * 2;

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function sized(argv: string[]): Promise<{ json: Json; stderr: string }> {
  const c = capture();
  const code = await main([...argv, '--json'], c.out, c.err, { env: {}, cwd: ROOT, homeDir: path.join(ROOT, 'no-such-home') });
  assert.strictEqual(code, 0, c.stderr());
  return { json: JSON.parse(c.stdout()) as Json, stderr: c.stderr() };
}

describe('a separate draft model is resolved and sized', () => {
  it('config command: --speculative-model PATH adds the draft model\'s weights and its KV per token', async () => {
    assert.strictEqual(tiedLlamaParameters(draftConfig), 1_235_814_400);
    const alone = await sized([LLAMA_8B, '--gpu', 'H100']);
    const drafted = await sized([LLAMA_8B, '--gpu', 'H100', '--speculative-model', LLAMA_1B]);
    assert.strictEqual(drafted.json.perGpu.weightBytes - alone.json.perGpu.weightBytes, 2 * tiedLlamaParameters(draftConfig));
    assert.strictEqual(drafted.json.perGpu.kvBytesPerToken - alone.json.perGpu.kvBytesPerToken, kvBytesPerToken(draftConfig));
    assert.ok(drafted.json.capacity.kvCacheTokens < alone.json.capacity.kvCacheTokens);
  });

  it('config command: the text report names the drafter\'s KV per token beside its weights', async () => {
    const c = capture();
    const code = await main([LLAMA_8B, '--gpu', 'H100', '--speculative-model', LLAMA_1B, '--acceptance-rate', '0.7', '--speculative-tokens', '4'], c.out, c.err, { env: {}, cwd: ROOT });
    assert.strictEqual(code, 0, c.stderr());
    const kib = (kvBytesPerToken(draftConfig) / 1024).toFixed(2);
    assert.match(c.stdout(), new RegExp(`speculative draft × 4: .* drafter KV ${kib.replace('.', '\\.')} KiB per token`));
  });

  it('config command: a draft model id is resolved from the bundled catalog like MODEL', async () => {
    const byPath = await sized([LLAMA_8B, '--gpu', 'H100', '--speculative-model', LLAMA_1B]);
    const byId = await sized([LLAMA_8B, '--gpu', 'H100', '--speculative-model', 'meta-llama/Llama-3.2-1B']);
    assert.strictEqual(byId.json.perGpu.weightBytes, byPath.json.perGpu.weightBytes);
    assert.strictEqual(byId.json.capacity.kvCacheTokens, byPath.json.capacity.kvCacheTokens);
  });

  it('config command: a draft model that is not found is said on stderr, and the model is sized without it', async () => {
    const alone = await sized([LLAMA_8B, '--gpu', 'H100']);
    const missing = await sized([LLAMA_8B, '--gpu', 'H100', '--speculative-model', 'acme/no-such-drafter']);
    assert.match(missing.stderr, /note: draft model acme\/no-such-drafter: model "acme\/no-such-drafter" not found/);
    assert.strictEqual(missing.json.perGpu.weightBytes, alone.json.perGpu.weightBytes);
  });

  it('check: a compose file\'s --speculative-config "model" is resolved and sized the same way', async () => {
    const compose = (spec: string) => [
      'services:',
      '  llm:',
      '    image: vllm/vllm-openai:v0.19.0',
      `    command: ["--model", "meta-llama/Llama-3.1-8B", "--max-model-len", "8192"${spec}]`,
      '    deploy:',
      '      resources:',
      '        reservations:',
      '          devices:',
      '            - driver: nvidia',
      '              count: 1',
      '              capabilities: [gpu]',
      '',
    ].join('\n');
    const dir = tempTree({
      'plain/docker-compose.yaml': compose(''),
      'drafted/docker-compose.yaml': compose(', "--speculative-config", "{\\"model\\": \\"meta-llama/Llama-3.2-1B\\", \\"num_speculative_tokens\\": 4}"'),
    });
    const result = await checkFiles([path.join(dir, 'plain', 'docker-compose.yaml'), path.join(dir, 'drafted', 'docker-compose.yaml')], { resolver: { workspaceFolders: [], env: {}, homeDir: dir } });
    const [plain, drafted] = result.files.map((f) => f.deployments[0].report as Json);
    assert.ok(plain && drafted, JSON.stringify(result.files.map((f) => f.deployments[0].notSizedReason)));
    assert.strictEqual(drafted.perGpu.weightBytes - plain.perGpu.weightBytes, 2 * tiedLlamaParameters(draftConfig));
    assert.strictEqual(drafted.perGpu.kvBytesPerToken - plain.perGpu.kvBytesPerToken, kvBytesPerToken(draftConfig));
  });
});
