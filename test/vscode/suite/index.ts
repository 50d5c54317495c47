// Mocha runner executed INSIDE the VS Code extension host (code-server), started by test/vscode/launcher.js
// through `extensionTestsPath`. The extension host exits 0 whatever happens, so the outcome is written to
// the file named by INFERENCE_BUDGET_TEST_RESULTS (fallback: <workspace>/.inference-budget-test-results.json)
// as { passed, failed, failures[], tests[] }, with one progress line per test in `<file>.progress`.
import * as fs from 'fs';
import * as path from 'path';
import Mocha from 'mocha';

interface TestOutcome { title: string; state: 'passed' | 'failed'; durationMs: number; error?: string }

function resultsPath(): string {
  if (process.env.INFERENCE_BUDGET_TEST_RESULTS) return process.env.INFERENCE_BUDGET_TEST_RESULTS;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const vscode = require('vscode') as typeof import('vscode');
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? process.cwd();
  return path.join(folder, '.inference-budget-test-results.json');
}

function testFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...testFiles(p));
    else if (e.name.endsWith('.test.js')) out.push(p);
  }
  return out.sort();
}

export async function run(): Promise<void> {
  const file = resultsPath();
  const progress = file + '.progress';
  fs.writeFileSync(progress, '');
  const note = (line: string) => { fs.appendFileSync(progress, line + '\n'); };
  const outcomes: TestOutcome[] = [];
  const failures: { title: string; error: string }[] = [];
  let fatal: string | undefined;
  try {
    const mocha = new Mocha({ ui: 'bdd', timeout: 60_000, color: false, reporter: 'base' as never });
    const grep = process.env.INFERENCE_BUDGET_TEST_GREP;
    if (grep) mocha.grep(new RegExp(grep));
    for (const f of testFiles(__dirname)) mocha.addFile(f);
    await new Promise<void>((resolve) => {
      const runner = mocha.run(() => resolve());
      runner.on('pass', (t) => {
        outcomes.push({ title: t.fullTitle(), state: 'passed', durationMs: t.duration ?? 0 });
        note(`✔ ${t.fullTitle()} (${t.duration ?? 0} ms)`);
      });
      runner.on('fail', (t, err) => {
        const error = (err && (err.stack || err.message)) || String(err);
        outcomes.push({ title: t.fullTitle(), state: 'failed', durationMs: t.duration ?? 0, error });
        failures.push({ title: t.fullTitle(), error });
        note(`✘ ${t.fullTitle()}\n    ${error.split('\n').slice(0, 12).join('\n    ')}`);
      });
    });
  } catch (e) {
    fatal = (e as Error)?.stack ?? String(e);
    failures.push({ title: 'loading the extension host suite', error: fatal });
    note(`✘ loading the suite: ${fatal}`);
  }
  const passed = outcomes.filter((o) => o.state === 'passed').length;
  const failed = failures.length;
  const tmp = file + '.tmp';
  fs.writeFileSync(tmp, JSON.stringify({ passed, failed, failures, tests: outcomes }, null, 2));
  fs.renameSync(tmp, file);
}
