import * as assert from 'assert';
import { LineIndex } from '../../../src/analysis/lines';
import { position } from './helpers';

describe('LineIndex: offsets to 1-based lines and columns', () => {
  it('counts \\n, \\r\\n and a lone \\r as line ends, as the editor does', () => {
    const text = 'ab\r\ncd\ref\n\ngh\r\r\n';
    const index = new LineIndex(text);
    for (let offset = 0; offset <= text.length; offset++) assert.deepStrictEqual(index.at(offset), position(text, offset), `offset ${offset}`);
  });

  it('clamps offsets outside the text; an empty text is line 1', () => {
    assert.deepStrictEqual(new LineIndex('abc').at(99), { line: 1, column: 4 });
    assert.deepStrictEqual(new LineIndex('abc').at(-5), { line: 1, column: 1 });
    assert.deepStrictEqual(new LineIndex('').at(0), { line: 1, column: 1 });
  });
});
