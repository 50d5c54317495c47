// The editor and `inference-budget check` run one code path: for every real deployment file in
// ../shared/deployments/, the diagnostics the editor publishes (src/editor: Analyzer + buildDiagnostics, loaded
// with a stand-in for `vscode`) are the ones check --json reports, with the same ranges as 1-based lines and
// columns. Both resolve models the same way here: no workspace, an empty Hugging Face home, no network.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { checkFiles, DiagnosticJson } from '../../../src/cli/check';
import { analysisItems, documentKindOf } from '../../../src/analysis/analyze';
import type * as AnalysisModule from '../../../src/editor/analysis';
import type * as DiagnosticsModule from '../../../src/editor/diagnostics';
import type * as ResolverModule from '../../../src/editor/modelResolver';
import { corpusFiles } from './helpers';
import { loadWithStub, makeVscodeStub, SEVERITY_NAME, stubDocument } from './vscodeStub';

describe('check and the editor agree on every corpus file', function () {
  this.timeout(60_000);
  let hfHome: string;
  let editor: { analysis: typeof AnalysisModule; diagnostics: typeof DiagnosticsModule; resolver: typeof ResolverModule };
  let restore: () => void;
  const log = { info: () => undefined, warn: () => undefined, error: (m: string) => { throw new Error(m); } };

  before(() => {
    hfHome = fs.mkdtempSync(path.join(os.tmpdir(), 'ib-parity-hf-'));
    const loaded = loadWithStub<unknown>(['../../../src/editor/analysis', '../../../src/editor/diagnostics', '../../../src/editor/modelResolver'].map((m) => require.resolve(m)), makeVscodeStub());
    const [analysis, diagnostics, resolver] = loaded.modules;
    editor = { analysis: analysis as typeof AnalysisModule, diagnostics: diagnostics as typeof DiagnosticsModule, resolver: resolver as typeof ResolverModule };
    restore = loaded.restore;
  });

  after(() => {
    restore();
    fs.rmSync(hfHome, { recursive: true, force: true });
  });

  it('has the corpus (65 files)', () => {
    assert.strictEqual(corpusFiles().length, 65);
  });

  it('publishes the same diagnostics, file by file', async () => {
    const env = { HF_HOME: hfHome };
    const analyzer = new editor.analysis.Analyzer(new editor.resolver.ModelResolver(log, env), log);
    let compared = 0;
    let sized = 0;
    for (const file of corpusFiles()) {
      const text = fs.readFileSync(file, 'utf8');
      const doc = stubDocument(file, text) as Parameters<typeof analyzer.analyze>[0];
      const analysis = await analyzer.analyze(doc);
      assert.ok(analysis, file);
      const published = editor.diagnostics.buildDiagnostics(doc, analysis).map((d): DiagnosticJson => ({
        severity: SEVERITY_NAME[d.severity], code: String(d.code), message: d.message,
        line: d.range.start.line + 1, column: d.range.start.character + 1, endLine: d.range.end.line + 1, endColumn: d.range.end.character + 1,
      }));
      const checked = (await checkFiles([file], { resolver: { workspaceFolders: [], env }, log })).files[0];
      const reported = [...checked.problems, ...checked.deployments.flatMap((d) => d.diagnostics)];
      assert.deepStrictEqual(reported, published, path.basename(file));
      assert.strictEqual(checked.kind, documentKindOf(analysis) ?? null, path.basename(file));
      assert.strictEqual(checked.deployments.length, analysisItems(analysis).length, path.basename(file));
      compared += published.length;
      sized += checked.deployments.filter((d) => d.sized).length;
    }
    // The comparison is about something: the corpus gives dozens of diagnostics and sized deployments.
    assert.ok(compared >= 40, `${compared} diagnostics compared`);
    assert.ok(sized >= 10, `${sized} deployments sized`);
  });
});
