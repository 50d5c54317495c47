// Documents built to flood: a budget file with 40,000 unknown keys is located in linear time and shows 1,000
// findings, the last of which counts the rest (the editor and check share the cap).
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runCheck } from '../../../src/cli/check';

describe('limits on what one document shows', () => {
  it('40,000 unknown keys in a budget file: 999 findings and one that counts the other 39,001 or more', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ib-limits-'));
    try {
      let text = 'model: meta-llama/Llama-3.1-8B\nhardware:\n  gpu: H100\n';
      for (let i = 0; i < 40_000; i++) text += `unknown${i}: 1\n`;
      const file = path.join(dir, 'many.budget.yaml');
      fs.writeFileSync(file, text);
      let out = '';
      await runCheck([file, '--json', '--no-workspace'], (s) => { out += s; }, () => undefined);
      const problems = JSON.parse(out).files[0].problems as { severity: string; code: string; message: string; line: number }[];
      assert.strictEqual(problems.length, 1000);
      assert.ok(problems.slice(0, 999).every((p) => /^Unknown property "unknown\d+"/.test(p.message)));
      const last = problems[999];
      assert.strictEqual(last.code, 'too-many-findings');
      assert.strictEqual(last.severity, 'error');
      const more = Number(/^([\d,]+) more findings/.exec(last.message)![1].replace(/,/g, ''));
      assert.ok(more >= 40_000 - 999, last.message);
      // On the first key left out: line 3 header lines + 999 keys + 1.
      assert.strictEqual(last.line, 3 + 999 + 1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
