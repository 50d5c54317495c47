// Minimal reproductions of the bugs the fuzzers found, one test each, so that a fix is seen to work
// (and stays working) independently of seeds and case counts. Each title says the contract; the
// comment above it says what was observed when the test was written.

import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { computeBudget } from '../../src/core/budget';
import { ModelFiles } from '../../src/core/types';
import { runCli } from '../../src/cli/main';
import { editForInput, parseDocument, parseModelConfig } from '../../src/formats';
import { checkBudgetResult } from './checks';

/** A small Llama 3.2 1B-like config (no corpus needed). */
const LLAMA = {
  architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: 2048, intermediate_size: 8192, num_attention_heads: 32,
  num_key_value_heads: 8, num_hidden_layers: 16, vocab_size: 128256, max_position_embeddings: 131072, torch_dtype: 'bfloat16',
  rope_theta: 500000, tie_word_embeddings: true,
};

function budgetOk(files: ModelFiles): void {
  checkBudgetResult(computeBudget(files, {}), { wellTyped: true });
}

describe('fuzz regressions (minimal reproductions)', () => {
  describe('engine', () => {
    // Observed (Llama-2-7B, bits -4): model.weightBytes -2637291520, perGpu.weightBytes -2636242944, decode 71,951 tok/s.
    // Here bits -16 so that the 1B model's unquantized embedding does not hide it.
    it('a GPTQ quantization_config with negative bits gives no negative bytes', () => {
      budgetOk({ config: { ...LLAMA, quantization_config: { quant_method: 'gptq', bits: -16, group_size: 128 } } });
    });

    // Observed: same as above through quantize_config.json beside the config.
    it('a quantize_config.json with negative bits gives no negative bytes', () => {
      budgetOk({ config: LLAMA, quantizeConfig: { bits: -16, group_size: 128 } });
    });

    // Observed: model.weightBytes and perGpu.weightBytes Infinity (null in --json), kvCacheTokens 0, decode 0 tok/s.
    it('a quantize_config.json with bits 1e308 gives no Infinity', () => {
      budgetOk({ config: LLAMA, quantizeConfig: { bits: 1e308, group_size: 128 } });
    });

    // Observed: perGpu.weightBytes Infinity (the rotary cache), kvCacheTokens 0: the model "does not fit".
    // Python's json writes float('inf') as Infinity and parseModelConfig reads it, so the editor hits this.
    it('rope_scaling.factor Infinity (as Python writes it) gives no Infinity', () => {
      const text = JSON.stringify({ ...LLAMA, rope_scaling: { rope_type: 'linear', factor: 12345 } }).replace('12345', 'Infinity');
      const doc = parseModelConfig(text);
      assert.ok(doc.config, 'config not read');
      budgetOk({ config: doc.config });
    });

    // Observed: model.rotaryCaches[0].rotaryDim Infinity, perGpu.weightBytes Infinity.
    it('partial_rotary_factor 1e308 gives no Infinity', () => {
      budgetOk({ config: { ...LLAMA, partial_rotary_factor: 1e308 } });
    });

    // Observed: "unsupported: could not read this config: family.startsWith is not a function"
    // (FAMILY_ALIASES / FAMILY_DEFAULTS are plain objects: model_type "constructor" finds Object.prototype members).
    for (const t of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      it(`model_type "${t}" is refused with a message, not a caught TypeError`, () => {
        budgetOk({ config: { ...LLAMA, model_type: t } });
      });
    }

    // Observed: "unsupported: could not read this config: Maximum call stack size exceeded" (String() of a
    // 10,000-deep array). The CLI reads configs with JSON.parse, which builds such values.
    it('a torch_dtype nested 10,000 arrays deep is not a caught stack overflow', () => {
      let deep: unknown = 'bfloat16';
      for (let i = 0; i < 10_000; i++) deep = [deep];
      budgetOk({ config: { ...LLAMA, torch_dtype: deep } });
    });
  });

  describe('CLI', () => {
    let tmp = '';
    before(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ib-fuzz-reg-')); });
    after(() => { if (tmp) fs.rmSync(tmp, { recursive: true, force: true }); });

    const run = (argv: string[]): { code: number; err: string[] } => {
      const err: string[] = [];
      const code = runCli(argv, () => undefined, (s) => err.push(s));
      return { code, err };
    };

    // Observed: 'inference-budget: …/deploy.json is not valid JSON: Unexpected token 'm', "model: llama\n" is not valid JSON'
    // (two lines: V8's JSON.parse message quotes the text, newlines included).
    it('a YAML file given as FILE: one stderr line', () => {
      const file = path.join(tmp, 'deploy.json');
      fs.writeFileSync(file, 'model: llama\n');
      const r = run([file]);
      assert.strictEqual(r.code, 2);
      assert.strictEqual(r.err.length, 1);
      assert.ok(!/[\r\n]/.test(r.err[0]), JSON.stringify(r.err[0]));
    });

    // Observed: 'inference-budget: --tp expects a number, got "8\n" (see --help)' (two lines).
    it('a flag value with a newline: one stderr line', () => {
      const file = path.join(tmp, 'config.json');
      fs.writeFileSync(file, JSON.stringify(LLAMA));
      for (const argv of [[file, '--tp', '8\n'], [file, 'a\nb'], [file, '-\r']]) {
        const r = run(argv);
        assert.strictEqual(r.code, 2, JSON.stringify(argv));
        assert.ok(r.err.length === 1 && !/[\r\n]/.test(r.err[0]), `${JSON.stringify(argv)} -> ${JSON.stringify(r.err)}`);
      }
    });
  });

  describe('readers', () => {
    // Observed (CI, seed 0xeb304222): "YAML: Maximum call stack size exceeded". A quoted scalar that never closes
    // before a less indented line ends there for the `yaml` lexer, which reads on as block content; the nesting
    // estimate skipped to the next quote two megabytes later, past 2,000 nested sequences.
    it('an unclosed quoted scalar before deeply nested sequences: the nesting problem, not a stack overflow', () => {
      const nest = Array.from({ length: 2000 }, (_, i) => ' '.repeat(i) + '- ').join('\n') + 'x';
      const text = `apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: vllm\n    args:\n    - "bash run.sh\n${nest}\n    - "done"\n`;
      const problems = parseDocument('deploy.yaml', text).problems;
      assert.ok(!problems.some((p) => /call stack/i.test(p.message)), problems.map((p) => p.message).join('; '));
      const deep = problems.find((p) => /Nesting deeper than 100/.test(p.message));
      assert.ok(deep, problems.map((p) => p.message).join('; '));
      // Past 100 levels: the container and its args hold a few, each nested line one more, so around the nest's
      // hundredth line (lines 95 to 101 of the nest), far before the quote closes again.
      const nestLine = (i: number): number => text.indexOf('\n' + ' '.repeat(i) + '- ') + 1;
      assert.ok(deep.range.start >= nestLine(95) && deep.range.start < nestLine(102), `${deep.range.start} not in ${nestLine(95)}..${nestLine(102)}`);
    });

    // A quoted scalar whose continuation lines stay indented is one scalar: nothing inside it counts as nesting.
    it('a multi-line quoted scalar indented under its key is read whole', () => {
      const inner = Array.from({ length: 150 }, (_, i) => '      ' + ' '.repeat(i) + '- x').join('\n');
      const text = `apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n  annotations:\n    script: "start\n${inner}\n      end"\nspec:\n  containers:\n  - name: vllm\n    image: vllm/vllm-openai:v0.19.0\n`;
      const problems = parseDocument('deploy.yaml', text).problems;
      assert.deepStrictEqual(problems.map((p) => p.message), []);
    });

    // Observed: "JSON: unexpected end of comment." at 8..15 and "close brace expected" at 14..15 in a 14-character text.
    it('an unterminated /* comment before CRLF: problem ranges inside the text', () => {
      const text = '{"a": 1 /* x\r\n';
      for (const p of parseModelConfig(text).problems) {
        assert.ok(p.range.start >= 0 && p.range.start <= p.range.end && p.range.end <= text.length, `${p.message} ${JSON.stringify(p.range)} (length ${text.length})`);
      }
    });

    // Observed: c is "" and the bare NaN is not read: the NaN/Infinity rewrite tracks strings across a
    // newline that ends an unterminated string for the JSON parser, so it rewrites inside the next string.
    it('after an unterminated string, "NaN" inside a later string stays a string', () => {
      const r = parseModelConfig('{"architectures": ["X"], "a": "b\n, "c": "NaN"}');
      assert.strictEqual(r.config?.c, 'NaN');
    });

    // Observed: model { name: "", range: 2..15 } (config.json with no folder in the name, model_type "").
    it('a config.json with an empty model_type: the deployment has a model name', () => {
      const d = parseDocument('config.json', '{"architectures": ["LlamaForCausalLM"], "model_type": ""}');
      const name = d.deployments[0]?.model?.name;
      assert.ok(name === undefined || name.trim() !== '', `model name ${JSON.stringify(name)}`);
    });

    // Observed: the insertion is "\n quantization: awq" (the BOM counted as one column of indentation),
    // and the document no longer reads ("Nested mappings are not allowed in compact mappings").
    // VS Code strips the BOM from document text; callers reading files themselves do not.
    it('a vLLM config file with a UTF-8 BOM: an inserted key keeps the file valid', () => {
      const text = '\ufeffmodel: meta-llama/Llama-3.1-8B\nmax-model-len: 8192\n';
      const doc = parseDocument('vllm.yaml', text);
      assert.strictEqual(doc.deployments.length, 1);
      const e = editForInput(text, doc.deployments[0], 'quantization', 'awq');
      assert.ok(e, 'no edit');
      const after = text.slice(0, e.range.start) + e.newText + text.slice(e.range.end);
      const doc2 = parseDocument('vllm.yaml', after);
      assert.deepStrictEqual(doc2.problems.filter((p) => p.severity === 'error').map((p) => p.message), [], JSON.stringify(after));
      assert.strictEqual(doc2.deployments[0]?.inputs.quantization, 'awq');
    });
  });
});
