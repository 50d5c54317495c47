import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '../../..');

describe('precompiled schema validators', () => {
  it('src/generated/validators.ts matches schemas/*.json (run node scripts/generate-validators.js after editing a schema)', () => {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { generate, OUT } = require(path.join(ROOT, 'scripts', 'generate-validators.js')) as { generate: () => string; OUT: string };
    assert.strictEqual(fs.readFileSync(OUT, 'utf8'), generate());
  });
});
