// `check --format sarif`: valid SARIF 2.1.0 (the OASIS schema), a rule for every result, regions where the text is.
import * as assert from 'assert';
import Ajv from 'ajv';
import * as fs from 'fs';
import * as path from 'path';
import { fileURLToPath, pathToFileURL } from 'url';
import { CheckJson, runCheck } from '../../../src/cli/check';
import { sarifLog } from '../../../src/cli/sarif';
import { capture, CORPUS, LLAMA_8B, position, ROOT, tempTree } from './helpers';

interface SarifRegion { startLine: number; startColumn: number; endLine: number; endColumn: number }
interface SarifResult {
  ruleId: string; ruleIndex: number; level: string; message: { text: string };
  locations: { physicalLocation: { artifactLocation: { uri: string; uriBaseId?: string }; region: SarifRegion } }[];
}
interface SarifRule { id: string; shortDescription: { text: string }; fullDescription: { text: string }; help: { text: string } }
interface SarifLog {
  $schema: string; version: string;
  runs: { tool: { driver: { name: string; version?: string; informationUri: string; rules: SarifRule[] } }; originalUriBaseIds?: Record<string, { uri: string }>; results: SarifResult[] }[];
}

/**
 * The schema is draft-04, which Ajv 8 does not read; its keywords here mean the same in draft-07 (no boolean
 * exclusiveMinimum), so only the draft-04 `id` becomes `$id` and `$schema` goes. `validateFormats: false`:
 * ajv-formats (date-time, uri) is not installed; URIs are checked below by parsing them instead.
 * `unicodeRegExp: false`: the schema's language pattern (`...[a-zA-Z]{2}]?$`) is invalid with the `u` flag.
 */
function sarifValidator(): (log: unknown) => string | undefined {
  const schemaPath = path.join(ROOT, 'node_modules', '@microsoft', 'jest-sarif', 'lib', 'schemas', 'sarif-2.1.0-rtm.5.json');
  const { $schema: _draft, id, ...schema } = JSON.parse(fs.readFileSync(schemaPath, 'utf8')) as Record<string, unknown>;
  const validate = new Ajv({ strict: false, validateFormats: false, unicodeRegExp: false, allErrors: true }).compile({ ...schema, $id: id as string });
  return (log) => (validate(log) ? undefined : JSON.stringify(validate.errors?.slice(0, 5)));
}

async function check(args: string[], cwd: string): Promise<{ code: number; out: string; err: string }> {
  const c = capture();
  const code = await runCheck(args, c.out, c.err, cwd);
  return { code, out: c.stdout(), err: c.stderr() };
}

/** The SARIF and JSON of the same check, with the checks every log must pass. */
async function sarifAndJson(args: string[], cwd: string, validate: (log: unknown) => string | undefined): Promise<{ log: SarifLog; json: CheckJson }> {
  const sarif = await check(['--format', 'sarif', ...args], cwd);
  const json = await check(['--format', 'json', ...args], cwd);
  assert.strictEqual(sarif.code, json.code, sarif.err);
  const log = JSON.parse(sarif.out) as SarifLog;
  assert.strictEqual(validate(log), undefined);
  assert.strictEqual(log.$schema, 'https://json.schemastore.org/sarif-2.1.0.json');
  assert.strictEqual(log.version, '2.1.0');
  assert.strictEqual(log.runs.length, 1);
  const { driver } = log.runs[0].tool;
  assert.strictEqual(driver.name, 'inference-budget');
  assert.strictEqual(driver.version, (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version);
  assert.ok(new URL(driver.informationUri).protocol.startsWith('http'));
  // One rule per code that appears, each with a help text; each result points at its own rule.
  const report = JSON.parse(json.out) as CheckJson;
  const codes = new Set(report.files.flatMap((f) => [...f.problems, ...f.deployments.flatMap((d) => d.diagnostics)]).map((d) => d.code));
  assert.deepStrictEqual(new Set(driver.rules.map((r) => r.id)), codes);
  assert.strictEqual(driver.rules.length, codes.size);
  for (const r of driver.rules) assert.ok(r.help.text && r.shortDescription.text && r.fullDescription.text, r.id);
  for (const r of log.runs[0].results) assert.strictEqual(driver.rules[r.ruleIndex].id, r.ruleId);
  // As many results of each level as the summary counts diagnostics of each severity.
  const levels = log.runs[0].results.map((r) => r.level);
  const count = (level: string): number => levels.filter((l) => l === level).length;
  const s = report.summary;
  assert.deepStrictEqual([count('error'), count('warning'), count('note')], [s.errors, s.warnings, s.information + s.hints]);
  assert.strictEqual(levels.length, s.errors + s.warnings + s.information + s.hints);
  return { log, json: report };
}

/** The file a result points at, resolved as a SARIF consumer does (%SRCROOT% from originalUriBaseIds). */
function artifactPath(log: SarifLog, r: SarifResult): string {
  const { uri, uriBaseId } = r.locations[0].physicalLocation.artifactLocation;
  const base = uriBaseId ? log.runs[0].originalUriBaseIds?.[uriBaseId]?.uri : undefined;
  return fileURLToPath(new URL(uri, base));
}

/** Every region lies inside its file's text (lines and columns counted independently of src/analysis). */
function assertRegionsInsideFiles(log: SarifLog): void {
  for (const r of log.runs[0].results) {
    const text = fs.readFileSync(artifactPath(log, r), 'utf8');
    const lines = text.split(/\r\n|\r|\n/);
    const { startLine, startColumn, endLine, endColumn } = r.locations[0].physicalLocation.region;
    assert.ok(startLine >= 1 && endLine >= startLine && endLine <= lines.length, `${r.ruleId} ${JSON.stringify(r.locations[0])}`);
    assert.ok(startColumn >= 1 && startColumn <= lines[startLine - 1].length + 1, `${r.ruleId} ${JSON.stringify(r.locations[0])}`);
    assert.ok(endColumn >= 1 && endColumn <= lines[endLine - 1].length + 1 && (endLine > startLine || endColumn >= startColumn), `${r.ruleId} ${JSON.stringify(r.locations[0])}`);
  }
}

describe('check --format sarif', () => {
  let validate: (log: unknown) => string | undefined;
  let dir: string;
  // Llama-3.1-8B on an L4 (24 GB): 131,072 tokens need 16 GiB of KV, more than is left beside the weights.
  const failing = '# inference-budget: gpu=L4\nmodel: ../Llama-3.1-8B\nmax-model-len: 131072\nmax-num-seqs: 64\n';
  before(() => {
    validate = sarifValidator();
    dir = tempTree({
      'Llama-3.1-8B/config.json': fs.readFileSync(path.join(LLAMA_8B, 'config.json'), 'utf8'),
      'deploy dir/too-long.vllm.yaml': failing,
    });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('the schema rejects what is not SARIF (the validator is live)', () => {
    assert.notStrictEqual(validate({ version: '2.1.0', runs: [{ tool: {} }] }), undefined);
    assert.notStrictEqual(validate({ version: '2.0.0', runs: [] }), undefined);
  });

  it('examples/deployments: valid, rules for every result, regions inside the files', async () => {
    const { log, json } = await sarifAndJson(['--no-workspace', 'examples/deployments'], ROOT, validate);
    assert.ok(log.runs[0].results.length > 0);
    assert.strictEqual(log.runs[0].originalUriBaseIds?.['%SRCROOT%'].uri, `${pathToFileURL(ROOT).href}/`);
    // Relative to the current folder: GitHub maps these onto the repository.
    for (const r of log.runs[0].results) assert.match(r.locations[0].physicalLocation.artifactLocation.uri, /^examples\/deployments\/[\w.-]+\.ya?ml$/);
    assertRegionsInsideFiles(log);
    // Region for region, what check --format json says (SARIF and check both count from 1, end exclusive).
    const expected = json.files.flatMap((f) => [...f.problems, ...f.deployments.flatMap((d) => d.diagnostics)]
      .sort((a, b) => a.line - b.line || a.column - b.column).map((d) => [f.path, d.code, d.line, d.column, d.endLine, d.endColumn].join(' ')));
    const actual = log.runs[0].results.map((r) => {
      const { artifactLocation, region } = r.locations[0].physicalLocation;
      return [artifactLocation.uri, r.ruleId, region.startLine, region.startColumn, region.endLine, region.endColumn].join(' ');
    });
    assert.deepStrictEqual(actual, expected);
  });

  it('the shared deployment corpus: valid, regions inside the files', async function () {
    if (!fs.existsSync(CORPUS)) this.skip();
    const { log } = await sarifAndJson(['--no-workspace', '.'], CORPUS, validate);
    assert.ok(log.runs[0].results.length > 20, `${log.runs[0].results.length} results`);
    assertRegionsInsideFiles(log);
  });

  it('a deployment that does not fit: an error result on the max-model-len value, a path with a space encoded', async () => {
    const { log } = await sarifAndJson(['--no-workspace', 'deploy dir'], dir, validate);
    const errors = log.runs[0].results.filter((r) => r.level === 'error');
    assert.deepStrictEqual(errors.map((r) => r.ruleId), ['kv-does-not-fit']);
    const [e] = errors;
    assert.strictEqual(e.locations[0].physicalLocation.artifactLocation.uri, 'deploy%20dir/too-long.vllm.yaml');
    assert.strictEqual(e.locations[0].physicalLocation.artifactLocation.uriBaseId, '%SRCROOT%');
    assert.strictEqual(artifactPath(log, e), path.join(dir, 'deploy dir', 'too-long.vllm.yaml'));
    const start = failing.indexOf('131072');
    const from = position(failing, start);
    const to = position(failing, start + '131072'.length);
    assert.deepStrictEqual(e.locations[0].physicalLocation.region, { startLine: from.line, startColumn: from.column, endLine: to.line, endColumn: to.column });
    assert.deepStrictEqual([from.line, from.column, to.column], [3, 16, 22]);
    const rule = log.runs[0].tool.driver.rules[e.ruleIndex];
    assert.match(rule.help.text, /max_model_len/);
  });

  it('codes without a written help get a generic rule; absolute paths outside the folder become file: URIs', () => {
    const log = sarifLog([
      { path: 'a.yaml', severity: 'hint', code: 'some-future-code', message: 'm', line: 1, column: 1, endLine: 1, endColumn: 2 },
      { path: '/elsewhere/b.yaml', severity: 'warning', code: 'some-future-code', message: 'n', line: 2, column: 3, endLine: 2, endColumn: 4 },
    ], { name: 'inference-budget', informationUri: 'https://example.org/' }, { srcRoot: '/work/here' }) as unknown as SarifLog;
    assert.strictEqual(validate(log), undefined);
    const run = log.runs[0];
    assert.deepStrictEqual(run.tool.driver.rules.map((r) => r.id), ['some-future-code']);
    assert.ok(run.tool.driver.rules[0].help.text.length > 0);
    assert.deepStrictEqual(run.results.map((r) => [r.level, r.ruleIndex, r.locations[0].physicalLocation.artifactLocation]), [
      ['note', 0, { uri: 'a.yaml', uriBaseId: '%SRCROOT%' }],
      ['warning', 0, { uri: 'file:///elsewhere/b.yaml' }],
    ]);
    assert.strictEqual(run.tool.driver.version, undefined);
  });

  it('--baseline --format sarif: only the regressions, valid, with regression rule ids', async () => {
    const fitting = failing.replace('131072', '8192');
    const ws = tempTree({ 'Llama-3.1-8B/config.json': fs.readFileSync(path.join(LLAMA_8B, 'config.json'), 'utf8'), 'deploy/app.vllm.yaml': fitting });
    try {
      const baseline = await check(['--format', 'json', '--no-workspace', 'deploy'], ws);
      assert.strictEqual(baseline.code, 0, baseline.out);
      fs.writeFileSync(path.join(ws, 'baseline.json'), baseline.out);
      fs.writeFileSync(path.join(ws, 'deploy/app.vllm.yaml'), failing);
      const r = await check(['--format', 'sarif', '--no-workspace', '--baseline', 'baseline.json', 'deploy'], ws);
      assert.strictEqual(r.code, 1, r.err);
      const log = JSON.parse(r.out) as SarifLog;
      assert.strictEqual(validate(log), undefined);
      assert.deepStrictEqual(log.runs[0].tool.driver.rules.map((x) => x.id), ['regression-does-not-fit']);
      assert.deepStrictEqual(log.runs[0].results.map((x) => [x.ruleId, x.level, x.locations[0].physicalLocation.region.startLine]), [['regression-does-not-fit', 'error', 3]]);
    } finally {
      fs.rmSync(ws, { recursive: true, force: true });
    }
  });
});
