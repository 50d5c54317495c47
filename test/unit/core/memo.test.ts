import * as assert from 'assert';
import { memoized } from '../../../src/core/memo';

describe('memos', () => {
  it('make a value once per key, and a bounded Map drops its oldest entry when full', () => {
    const cache = new Map<string, number>();
    let made = 0;
    const get = (k: string) => memoized(cache, k, () => ++made, 2);
    assert.strictEqual(get('a'), 1);
    assert.strictEqual(get('a'), 1);
    assert.strictEqual(get('b'), 2);
    assert.strictEqual(get('c'), 3);
    assert.deepStrictEqual([...cache.keys()], ['b', 'c']);
    assert.strictEqual(get('a'), 4, 'the dropped key is made again');
  });

  it('key a WeakMap by object', () => {
    const cache = new WeakMap<object, string>();
    const k = {};
    assert.strictEqual(memoized(cache, k, () => 'x'), 'x');
    assert.strictEqual(memoized(cache, k, () => 'y'), 'x');
  });
});
