// The config command given what people type: model ids (bundled catalog, Hugging Face cache, the hub with
// --allow-download), --models aliases, and deployment files handed to check.
import * as assert from 'assert';
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as path from 'path';
import { CliContext, main, runCli } from '../../../src/cli/main';
import { capture, ROOT, tempTree } from './helpers';

/** The shipped corpus copy of meta-llama/Meta-Llama-3.1-8B (INDEX.md: llama3.1/Meta-Llama-3.1-8B, verbatim). */
const LLAMA_DIR = path.resolve(ROOT, '..', 'shared', 'model-configs', 'llama3.1', 'Meta-Llama-3.1-8B');
const LLAMA_TEXT = fs.readFileSync(path.join(LLAMA_DIR, 'config.json'), 'utf8');

/** Parameters of a Llama decoder from its config, counted by hand: embeddings, lm_head (untied), layers, final norm. */
function llamaParameters(c: Record<string, number>): number {
  const h = c.hidden_size;
  const headDim = h / c.num_attention_heads;
  const attention = h * h * 2 + 2 * h * c.num_key_value_heads * headDim; // q and o; k and v
  const mlp = 3 * h * c.intermediate_size; // gate, up, down
  const norms = 2 * h;
  return 2 * c.vocab_size * h + c.num_hidden_layers * (attention + mlp + norms) + h;
}

interface Run { code: number; out: string; err: string; errLines: string[] }

async function run(argv: string[], context: CliContext): Promise<Run> {
  const c = capture();
  const code = await main(argv, c.out, c.err, context);
  return { code, out: c.stdout(), err: c.stderr(), errLines: c.stderr().split('\n').filter(Boolean) };
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('inference-budget MODEL: model ids', () => {
  let dir: string;
  /** An empty workspace, home folder and environment: only what each test adds is found. */
  let context: CliContext;
  before(() => {
    dir = tempTree({
      'ws/.keep': '',
      'hub/models--acme--cached-llama/snapshots/1111aaaa/config.json': LLAMA_TEXT,
      'hub/models--acme--cached-llama/snapshots/2222bbbb/config.json': '{ broken',
      'hub/models--acme--cached-llama/refs/main': '1111aaaa\n',
    });
    context = { cwd: path.join(dir, 'ws'), homeDir: path.join(dir, 'home'), env: {} };
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const config = JSON.parse(LLAMA_TEXT) as Record<string, number>;
  const params = llamaParameters(config);
  const kvPerToken = 2 * config.num_hidden_layers * config.num_key_value_heads * (config.hidden_size / config.num_attention_heads) * 2;

  it('a bundled id: sized as the shipped config, the source on stderr and in --json', async () => {
    const args = ['--max-model-len', '8192', '--gpu', 'H100'];
    const byId = await run(['meta-llama/Meta-Llama-3.1-8B', ...args, '--json'], context);
    assert.strictEqual(byId.code, 0, byId.err);
    const j = JSON.parse(byId.out) as Json;
    assert.strictEqual(j.modelSource, 'bundled');
    assert.strictEqual(j.modelLocation, 'bundled:meta-llama/Meta-Llama-3.1-8B');
    assert.strictEqual(j.model.parametersTotal, params);
    assert.strictEqual(j.model.weightBytes, params * 2); // bfloat16
    assert.strictEqual(j.model.kvBytesPerToken, kvPerToken);
    // The same config given as a folder: the same report, but for the name and where it came from.
    const byPath = await run([LLAMA_DIR, ...args, '--json'], context);
    assert.strictEqual(byPath.code, 0, byPath.err);
    const p = JSON.parse(byPath.out) as Json;
    assert.ok(!('modelSource' in p));
    const { modelSource, modelLocation, ...rest } = j;
    void modelSource; void modelLocation;
    assert.deepStrictEqual({ ...rest, model: { ...rest.model, name: '' } }, { ...p, model: { ...p.model, name: '' } });

    const text = await run(['meta-llama/Meta-Llama-3.1-8B', ...args], context);
    assert.strictEqual(text.code, 0, text.err);
    assert.match(text.out.split('\n')[0], /^meta-llama\/Meta-Llama-3\.1-8B \(LlamaForCausalLM\) on 1 × NVIDIA H100/);
    assert.deepStrictEqual(text.errLines, ['inference-budget: config from the bundled catalog: meta-llama/Meta-Llama-3.1-8B']);
  });

  it('a variant resolves to its bundled base with a note', async () => {
    const r = await run(['meta-llama/Meta-Llama-3.1-8B-FP8', '--max-model-len', '8192'], context);
    assert.strictEqual(r.code, 0, r.err);
    const [first, second] = r.errLines;
    assert.strictEqual(first, 'inference-budget: config from the bundled catalog: meta-llama/Meta-Llama-3.1-8B');
    assert.match(second, /^inference-budget: note: meta-llama\/Meta-Llama-3\.1-8B-FP8 resolved to the shapes of the bundled meta-llama\/Meta-Llama-3\.1-8B/);
  });

  it('an unknown id: one line, exit 2, the closest catalog matches and how to download', async () => {
    const r = await run(['meta-llama/Meta-Llama-3.1-8B-Instrukt-XL', '--json'], context);
    assert.strictEqual(r.code, 2);
    assert.strictEqual(r.out, '');
    assert.strictEqual(r.errLines.length, 1, r.err);
    assert.match(r.err, /^inference-budget: model "meta-llama\/Meta-Llama-3\.1-8B-Instrukt-XL" not found \(looked at: /);
    assert.match(r.err, /closest bundled models: [^;]*meta-llama\/Meta-Llama-3\.1-8B-Instruct/);
    assert.match(r.err, /pass --allow-download to fetch its config\.json from https:\/\/huggingface\.co\/meta-llama\/Meta-Llama-3\.1-8B-Instrukt-XL\/resolve\/main\/config\.json/);
  });

  it('a path that is not there: one line, exit 2', async () => {
    const r = await run(['./no-such-folder/config.json'], context);
    assert.strictEqual(r.code, 2);
    assert.strictEqual(r.errLines.length, 1, r.err);
    assert.match(r.err, /^inference-budget: no such file, folder or model: \.\/no-such-folder\/config\.json/);
  });

  it('the local Hugging Face cache (HF_HUB_CACHE): refs/main names the snapshot; a revision picks one', async () => {
    const env = { HF_HUB_CACHE: path.join(dir, 'hub') };
    const r = await run(['acme/cached-llama', '--max-model-len', '8192', '--json'], { ...context, env });
    assert.strictEqual(r.code, 0, r.err);
    const j = JSON.parse(r.out) as Json;
    const snapshot = path.join(dir, 'hub', 'models--acme--cached-llama', 'snapshots', '1111aaaa', 'config.json');
    assert.strictEqual(j.modelSource, 'hf-cache');
    assert.strictEqual(j.modelLocation, snapshot);
    assert.strictEqual(j.model.name, 'acme/cached-llama');
    assert.strictEqual(j.model.parametersTotal, params);
    const text = await run(['acme/cached-llama@1111aaaa', '--max-model-len', '8192'], { ...context, env });
    assert.strictEqual(text.code, 0, text.err);
    assert.deepStrictEqual(text.errLines, [`inference-budget: config from the Hugging Face cache: ${snapshot}`]);
    // Without the cache in the environment the id is unknown.
    assert.strictEqual((await run(['acme/cached-llama'], context)).code, 2);
  });

  it('given an id, stdout is exactly what the config file it resolves to prints; stderr says where that was', async () => {
    /** A corpus model folder (config and side files) laid out as the Hugging Face cache keeps it. */
    const cached = (id: string, corpusFolder: string): string => {
      const snapshot = path.join(dir, 'copies', `models--${id.replace('/', '--')}`, 'snapshots', 'main');
      fs.mkdirSync(snapshot, { recursive: true });
      const from = path.resolve(ROOT, '..', 'shared', 'model-configs', corpusFolder);
      for (const f of fs.readdirSync(from)) if (f.endsWith('.json')) fs.copyFileSync(path.join(from, f), path.join(snapshot, f));
      return snapshot;
    };
    // Bundled ids (the catalog keeps only what the engine reads) against the verbatim configs they were made from.
    for (const [id, folder, args] of [
      ['Qwen/Qwen3-8B', 'qwen3/Qwen3-8B', ['--gpu', 'H100']],
      ['meta-llama/Meta-Llama-3.1-8B', 'llama3.1/Meta-Llama-3.1-8B', ['--gpu', '4xH100', '--max-model-len', '32k']],
    ] as const) {
      const byId = await run([id, ...args], context);
      const byFile = await run([cached(id, folder), ...args], context);
      assert.strictEqual(byId.code, byFile.code, byId.err);
      assert.ok(byId.out.startsWith(`${id} (`), byId.out);
      assert.strictEqual(byId.out, byFile.out);
      assert.deepStrictEqual(byId.errLines, [`inference-budget: config from the bundled catalog: ${id}`]);
      assert.strictEqual(byFile.err, '');
    }
    // An id found in the local Hugging Face cache, against that snapshot's config.json.
    const env = { HF_HUB_CACHE: path.join(dir, 'hub') };
    const snapshot = path.join(dir, 'hub', 'models--acme--cached-llama', 'snapshots', '1111aaaa', 'config.json');
    const byId = await run(['acme/cached-llama', '--gpu', 'H100'], { ...context, env });
    const byFile = await run([snapshot, '--gpu', 'H100'], { ...context, env });
    assert.strictEqual(byId.out, byFile.out);
    assert.ok(byId.out.startsWith('acme/cached-llama ('), byId.out);
    assert.deepStrictEqual(byId.errLines, [`inference-budget: config from the Hugging Face cache: ${snapshot}`]);
  });
});

describe('inference-budget MODEL --allow-download', () => {
  const TOKEN = 'hf_test_Secret_0123456789';
  let server: http.Server;
  let endpoint: string;
  let requests: { url: string; authorization?: string; userAgent?: string }[];
  let dir: string;
  before(async () => {
    dir = tempTree({ 'ws/.keep': '' });
    server = http.createServer((req, res) => {
      requests.push({ url: req.url ?? '', authorization: req.headers.authorization, userAgent: req.headers['user-agent'] });
      if (req.url === '/acme/remote-llama/resolve/main/config.json' || req.url === '/acme/remote-llama/resolve/v1.2/config.json') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(LLAMA_TEXT);
      } else {
        res.writeHead(404);
        res.end('not found');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  beforeEach(() => { requests = []; });
  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const context = (env: Record<string, string>): CliContext => ({ cwd: path.join(dir, 'ws'), homeDir: path.join(dir, 'home'), env: { HF_ENDPOINT: endpoint, ...env } });

  it('fetches config.json from HF_ENDPOINT with HF_TOKEN as a bearer token, and never prints the token', async () => {
    const r = await run(['acme/remote-llama', '--allow-download', '--max-model-len', '8192', '--json'], context({ HF_TOKEN: TOKEN }));
    assert.strictEqual(r.code, 0, r.err);
    assert.deepStrictEqual(requests.map((q) => q.url), ['/acme/remote-llama/resolve/main/config.json']);
    assert.strictEqual(requests[0].authorization, `Bearer ${TOKEN}`);
    assert.strictEqual(requests[0].userAgent, 'inference-budget-cli');
    const j = JSON.parse(r.out) as Json;
    assert.strictEqual(j.modelSource, 'hub');
    assert.strictEqual(j.modelLocation, `${endpoint}/acme/remote-llama/resolve/main/config.json`);
    assert.strictEqual(j.model.kvBytesPerToken, 2 * 32 * 8 * 128 * 2);
    const text = await run(['acme/remote-llama@v1.2', '--allow-download'], context({ HF_TOKEN: TOKEN }));
    assert.strictEqual(text.code, 0, text.err);
    assert.strictEqual(requests[1].url, '/acme/remote-llama/resolve/v1.2/config.json');
    assert.deepStrictEqual(text.errLines, [`inference-budget: config from the Hugging Face Hub: ${endpoint}/acme/remote-llama/resolve/v1.2/config.json`]);
    for (const output of [r.out, r.err, text.out, text.err]) assert.ok(!output.includes(TOKEN) && !output.includes('Secret'), output);
  });

  it('HUGGING_FACE_HUB_TOKEN is the fallback; no token, no Authorization header', async () => {
    assert.strictEqual((await run(['acme/remote-llama', '--allow-download'], context({ HUGGING_FACE_HUB_TOKEN: TOKEN }))).code, 0);
    assert.strictEqual((await run(['acme/remote-llama', '--allow-download'], context({}))).code, 0);
    assert.deepStrictEqual(requests.map((q) => q.authorization), [`Bearer ${TOKEN}`, undefined]);
  });

  it('a hub miss says so in one line (HTTP 404), without the token', async () => {
    const r = await run(['acme/missing-model', '--allow-download'], context({ HF_TOKEN: TOKEN }));
    assert.strictEqual(r.code, 2);
    assert.strictEqual(r.errLines.length, 1, r.err);
    assert.match(r.err, /download of http:\/\/127\.0\.0\.1:\d+\/acme\/missing-model\/resolve\/main\/config\.json \(HTTP 404\)/);
    assert.ok(!r.err.includes(TOKEN) && !r.out.includes(TOKEN));
    assert.ok(!/--allow-download/.test(r.err), 'downloads were allowed: no advice to allow them');
  });

  it('without --allow-download no request is made and the error says to pass it', async () => {
    const r = await run(['acme/remote-llama', '--json'], context({ HF_TOKEN: TOKEN }));
    assert.strictEqual(r.code, 2);
    assert.strictEqual(requests.length, 0);
    assert.strictEqual(r.errLines.length, 1, r.err);
    assert.match(r.err, /pass --allow-download to fetch its config\.json from http:\/\/127\.0\.0\.1:\d+\/acme\/remote-llama\/resolve\/main\/config\.json/);
    assert.ok(!r.err.includes(TOKEN));
  });
});

describe('inference-budget MODEL --models', () => {
  let dir: string;
  before(() => {
    const aliases = { llama: 'meta-llama/Meta-Llama-3.1-8B', mine: './models/my-model' };
    dir = tempTree({
      'ws/conf/models.json': JSON.stringify(aliases),
      'ws/conf/models.yaml': '# aliases\nllama: meta-llama/Meta-Llama-3.1-8B\nmine: ./models/my-model\n',
      'ws/conf/models/my-model/config.json': LLAMA_TEXT,
      'ws/bad.yaml': '- a list\n- not a mapping\n',
      'ws/number.json': '{"llama": 8}',
    });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const context = (): CliContext => ({ cwd: path.join(dir, 'ws'), homeDir: path.join(dir, 'home'), env: {} });

  for (const file of ['conf/models.json', 'conf/models.yaml']) {
    it(`${file}: an alias names a model id, or a path relative to the alias file`, async () => {
      const id = await run(['llama', '--models', file, '--json', '--max-model-len', '8192'], context());
      assert.strictEqual(id.code, 0, id.err);
      const j = JSON.parse(id.out) as Json;
      assert.deepStrictEqual([j.modelSource, j.modelLocation, j.modelAlias], ['bundled', 'bundled:meta-llama/Meta-Llama-3.1-8B', `llama in ${file}`]);
      const local = await run(['mine', '--models', file, '--json', '--max-model-len', '8192'], context());
      assert.strictEqual(local.code, 0, local.err);
      const m = JSON.parse(local.out) as Json;
      assert.strictEqual(m.modelSource, 'document');
      assert.strictEqual(m.modelLocation, path.join(dir, 'ws', 'conf', 'models', 'my-model', 'config.json'));
      assert.strictEqual(m.model.parametersTotal, j.model.parametersTotal);
      const text = await run(['llama', '--models', file], context());
      assert.deepStrictEqual(text.errLines, [`inference-budget: config from the bundled catalog: meta-llama/Meta-Llama-3.1-8B (alias llama in ${file})`]);
    });
  }

  it('a name that is no alias is looked up as usual; a bad alias file is a one-line error', async () => {
    const other = await run(['meta-llama/Meta-Llama-3.1-8B', '--models', 'conf/models.yaml', '--json'], context());
    assert.strictEqual(other.code, 0, other.err);
    assert.ok(!('modelAlias' in (JSON.parse(other.out) as Json)));
    for (const [file, message] of [['bad.yaml', /must map names to model ids or paths/], ['number.json', /"llama" must name a model id or a path \(got 8\)/], ['missing.yaml', /cannot read --models/]] as const) {
      const r = await run(['llama', '--models', file], context());
      assert.strictEqual(r.code, 2, file);
      assert.strictEqual(r.errLines.length, 1, r.err);
      assert.match(r.err, message);
    }
  });
});

describe('inference-budget DEPLOYMENT-FILE', () => {
  let dir: string;
  before(() => {
    dir = tempTree({
      'deploy.yaml': 'model: meta-llama/Meta-Llama-3.1-8B\nmax-model-len: 8192\ntensor-parallel-size: 1\n',
      'compose.yaml': 'services:\n  vllm:\n    image: vllm/vllm-openai:latest\n    command: --model meta-llama/Meta-Llama-3.1-8B --max-model-len 8192\n',
    });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const file of ['deploy.yaml', 'compose.yaml']) {
    it(`${file} is checked (not "is not valid JSON"), with a note on stderr`, async () => {
      const r = await run([file, '--gpu', 'H100'], { cwd: dir, env: {}, homeDir: path.join(dir, 'home') });
      assert.strictEqual(r.code, 0, r.out + r.err);
      assert.match(r.out, /^1 file, 1 recognised; 1 deployment: 1 sized \(1 fit, 0 do not\), 0 not sized$/m);
      assert.strictEqual(r.errLines.length, 1, r.err);
      assert.match(r.err, new RegExp(`^inference-budget: note: ${file} is a deployment file \\(\\S+\\): running inference-budget check ${file} \\(--gpu H100 not used`));
      assert.ok(!/not valid JSON/.test(r.out + r.err));
      const json = await run([file, '--json'], { cwd: dir, env: {}, homeDir: path.join(dir, 'home') });
      const j = JSON.parse(json.out) as Json;
      assert.deepStrictEqual(Object.keys(j), ['files', 'summary']);
      assert.strictEqual(j.files[0].deployments[0].modelSource, 'bundled');
    });
  }

  it('runCli (synchronous) names the command to use, in one line', () => {
    const c = capture();
    assert.strictEqual(runCli([path.join(dir, 'deploy.yaml')], c.out, c.err), 2);
    assert.match(c.stderr(), /^inference-budget: .*deploy\.yaml is a deployment file \(vllm-config\): use inference-budget check .*deploy\.yaml\n$/);
  });
});
