import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as YAML from 'yaml';
import { YNode, parseYaml, scalarValue, scalarWithMap } from '../../../src/formats/yaml';
import { shellCommands, wordRange } from '../../../src/formats/shell';
import { offsetAt } from '../../../src/formats/scalar';
import { parseCount, parseFraction } from '../../../src/formats/values';

const EXAMPLES = path.resolve(__dirname, '../../../../examples/deployments');

/** A comparable form of a tree: kinds, styles, decoded values and source ranges. */
function shape(n: YNode | null): unknown {
  if (!n) return null;
  if (n.kind === 'scalar') return [n.style, n.value, n.start, n.end];
  if (n.kind === 'seq') return { seq: n.items.map(shape), flow: n.flow, range: [n.start, n.end] };
  return { map: n.pairs.map((p) => [shape(p.key), shape(p.value)]), flow: n.flow, range: [n.start, n.end] };
}

function sameAsLibrary(text: string): void {
  const fast = parseYaml(text);
  const lib = parseYaml(text, { forceLib: true });
  assert.deepStrictEqual(fast.docs.map((d) => d.fromLib), fast.docs.map(() => false), 'fast path used');
  assert.deepStrictEqual(fast.docs.map((d) => shape(d.root)), lib.docs.filter((d) => d.root).map((d) => shape(d.root)));
}

const TRICKY = [
  'a: 1\nb: "x"\nc: \'y\'\n',
  'a:\n- 1\n- 2\nb: 3\n',
  'a:\n  - x: 1\n    y: 2\n  - "q"\n',
  'cmd: ["/bin/sh", "-c", "vllm serve m --max-model-len 8192 && echo hi"]\n',
  'args:\n  - |\n    vllm serve x \\\n      --tp 2\n  - >-\n    folded\n    text\n\n    para\n',
  'k: "multi\n   line  \n\n  string"\n',
  "k: 'it''s\n  here'\n",
  'k: plain\n  continued\n\n  more\nz: 1\n',
  '- - a\n  - b\n- c\n',
  'a: {x: 1, "y": [1, 2], z: }\n',
  'a: |+\n  keep\n\n\nb: |-\n  strip\n\n',
  'a: "esc \\t \\" \\\\ \\u00e9 \\x41"\n',
  'a: "line \\\n   cont"\n',
  '# c\n---\na: 1 # c\n...\n',
  'x:\r\n  - 1\r\n  - "2"\r\ny: |\r\n  l1\r\n  l2\r\n',
  'a: >\n  t1\n    more\n  t2\n\n  t3\n',
  'a:\n  b:\n    c: 1\n  d: 2\ne: 3',
  '"quoted key": v\n\'k2\': v2\n',
  'a: [\n  1,\n  "two", # c\n  three\n]\n',
  'url: http://x.y/z:1\n',
  'a:    \n  # comment\n  b: 1\n',
  'empty:\nnext: 1\n',
  'a: 1\n---\nb: 2\n---\n# only a comment\n',
  'script: |\n  set -e\n\n  vllm serve m \\\n    --dtype half\n# trailing comment\nnext: x\n',
  'containers:\n- name: x\n  args:\n  - a\n  - b\n  image: y\n- name: z\n',
  'a: b#c\nmy key: v w\nq: "x: y # z"\ne1: []\ne2: {}\nn: {a: [1, {b: 2}], c: d}\nt: trailing   \n',
  'a:\n  b:\n# col-0 comment\n    c: 1\n  d: [x,\n    y]\n',
  'dq: "a\r\n  b"\r\nsq: \'c\r\n\r\n  d\'\r\n',
  '- [a, b]\n- {k: v}\n- - x\n  - - y\n',
  'k: |2\n    two extra\n  base\n',
  'k: >+\n  keep\n\n',
  '---\n',
  'a: 1 # c\n# c2\n\n\nb:\n  - x # c3\n',
  'path: C:\\dir\\file\nre: ^[a-z]+$\nneg: -1\nstar: a*b\n',
];

describe('formats: YAML layer', () => {
  it('gives the same tree as the yaml library for the example files', () => {
    for (const name of fs.readdirSync(EXAMPLES)) sameAsLibrary(fs.readFileSync(path.join(EXAMPLES, name), 'utf8'));
  });

  it('gives the same tree as the yaml library for tricky snippets', () => {
    for (const t of TRICKY) sameAsLibrary(t);
  });

  it('falls back to the library for tags, errors and anchors it does not read (on keys, self-referencing)', () => {
    for (const t of ['a: !!str 1\n', '&k a: 1\nb: 2\n', 'a: &x [*x]\n', 'a: 1\na: 2\n', 'a: b: c\n', '%YAML 1.2\n---\na: 1\n', '? complex\n: key\n',
      'm:\n  : empty key\n', 'k:\n  - "quoted\ncontinued at column 0"\n']) {
      const r = parseYaml(t);
      assert.ok(r.docs.every((d) => d.fromLib), t);
    }
  });

  it('resolves an alias to the last anchor of its name before it, as the library does', () => {
    const text = 'a: &x 1\nb: *x\nc: &x [2]\nd: *x\ne: &y {k: *x}\nf: *y\n';
    const root = parseYaml(text).docs[0].root;
    assert.ok(root && root.kind === 'map');
    const lib = YAML.parse(text) as Record<string, unknown>;
    const plain = (n: YNode | null): unknown => !n ? null : n.kind === 'scalar' ? scalarValue(n)
      : n.kind === 'seq' ? n.items.map(plain) : Object.fromEntries(n.pairs.map((p) => [p.key.value, plain(p.value)]));
    assert.deepStrictEqual(plain(root), lib);
    assert.deepStrictEqual(lib, { a: 1, b: 1, c: [2], d: [2], e: { k: [2] }, f: { k: [2] } });
  });

  it('finds duplicate keys in small and large maps, block and flow (the library then reports them)', () => {
    const keys = (n: number) => Array.from({ length: n }, (_, i) => `k${i}`);
    const block = (ks: string[]) => ks.map((k, i) => `${k}: ${i}\n`).join('');
    const flow = (ks: string[]) => `m: {${ks.map((k, i) => `${k}: ${i}`).join(', ')}}\n`;
    for (const n of [3, 12, 13, 30]) {
      const unique = keys(n);
      const dup = [...unique, unique[1]];
      for (const write of [block, flow]) {
        assert.ok(parseYaml(write(unique)).docs.every((d) => !d.fromLib), `${n} unique keys: fast path`);
        const r = parseYaml(write(dup));
        assert.ok(r.docs.every((d) => d.fromLib), `${n} keys + a duplicate: library`);
        assert.ok(r.problems.some((p) => /unique/i.test(p.message)), `${n} keys + a duplicate: reported`);
      }
    }
  });

  it('maps every character of a decoded scalar back to the source', () => {
    const text = [
      'a: "one \\"two\\"\\n  three"',
      "b: 'it''s  folded",
      "  here'",
      'c: |',
      '  line one',
      '    indented',
      '  line three',
      'd: >',
      '  folded',
      '  text',
      'e: plain',
      '  continued',
      '',
    ].join('\n');
    const root = parseYaml(text).docs[0].root;
    assert.ok(root && root.kind === 'map');
    for (const p of root.pairs) {
      const v = p.value;
      assert.ok(v && v.kind === 'scalar');
      const d = scalarWithMap(text, v);
      assert.ok(d, p.key.value);
      if (typeof d.map !== 'number') assert.strictEqual(d.map.length, d.value.length + 1);
      else assert.strictEqual(text.slice(d.map, d.map + d.value.length), d.value, 'a number map: the value is spelled as is');
      for (let i = 0; i < d.value.length; i++) {
        const ch: string = d.value[i];
        if (ch === '\n' || ch === ' ' || ch === '"' || ch === "'") continue;
        assert.strictEqual(text[offsetAt(d.map, i)], ch, `${p.key.value}[${i}]`);
      }
    }
  });

  it('maps every character of a shell word to its source offset, across quotes and escapes', () => {
    const s = 'vllm serve my\\ model "quoted arg" plain';
    const [cmd] = shellCommands(s, 10);
    assert.deepStrictEqual(cmd.map((w) => w.text), ['vllm', 'serve', 'my model', 'quoted arg', 'plain']);
    // Characters of "my\ model" skip the backslash: offsets are not contiguous, and the range is not exact.
    const escaped = cmd[2];
    const offsets = [...escaped.text].map((_, k) => offsetAt(escaped.idx, k));
    assert.deepStrictEqual(offsets, [...'my'].map((_, k) => 10 + s.indexOf('my') + k).concat([...' model'].map((_, k) => 10 + s.indexOf(' model') + k)));
    assert.deepStrictEqual(wordRange(' '.repeat(10) + s, escaped), { range: { start: 10 + s.indexOf('my'), end: 10 + s.indexOf(' model') + 6 }, exact: false });
    // A plain word and a quoted one are spelled as is: exact ranges.
    assert.deepStrictEqual(wordRange(' '.repeat(10) + s, cmd[3]), { range: { start: 10 + s.indexOf('quoted'), end: 10 + s.indexOf('quoted') + 10 }, exact: true });
    assert.deepStrictEqual(wordRange(' '.repeat(10) + s, cmd[4], 1, 3), { range: { start: 10 + s.indexOf('plain') + 1, end: 10 + s.indexOf('plain') + 3 }, exact: true });
  });

  it('splits shell command lines into simple commands with source offsets', () => {
    const s = 'export A=1; vllm serve "my model" --max-model-len=$(cat /len) \\\n  --dtype \'half\' 2>&1 | tee log && echo done';
    const map = Array.from({ length: s.length + 1 }, (_, i) => i + 100);
    const cmds = shellCommands(s, map);
    assert.deepStrictEqual(cmds.map((c) => c.map((w) => w.text)), [
      ['export', 'A=1'],
      ['vllm', 'serve', 'my model', '--max-model-len=$(cat /len)', '--dtype', 'half', '2>'],
      ['1'],
      ['tee', 'log'],
      ['echo', 'done'],
    ]);
    const model = cmds[1][2];
    assert.strictEqual(offsetAt(model.idx, 0), 100 + s.indexOf('my model'));
    assert.strictEqual(model.rawStart, 100 + s.indexOf('"my model"'));
    assert.strictEqual(model.rawEnd, 100 + s.indexOf('"my model"') + 10);
  });
});

describe('formats: values', () => {
  it('parses counts like vLLM', () => {
    const ok = (raw: unknown): unknown => { const r = parseCount(raw, 'x'); return r.ok ? r.value : r.severity; };
    assert.strictEqual(ok(8192), 8192);
    assert.strictEqual(ok('8192'), 8192);
    assert.strictEqual(ok(' 8_192 '), 8192);
    assert.strictEqual(ok('32k'), 32000);
    assert.strictEqual(ok('32K'), 32768);
    assert.strictEqual(ok('1m'), 1000000);
    assert.strictEqual(ok('1M'), 1048576);
    assert.strictEqual(ok('0.5k'), 500);
    assert.strictEqual(ok('0.5K'), 'error');
    assert.strictEqual(ok('abc'), 'error');
    assert.strictEqual(ok('-1'), 'error');
    assert.strictEqual(ok(0), 'error');
    assert.strictEqual(ok(NaN), 'error');
    assert.strictEqual(ok(2.5), 'error');
    assert.strictEqual(ok('2g'), 'error', 'over 1e9');
    assert.strictEqual(ok(true), 'error');
    assert.strictEqual(ok('${MAX_LEN}'), 'information');
    assert.strictEqual(ok('{{ .Values.maxModelLen }}'), 'information');
  });

  it('parses fractions in (0, 1]', () => {
    const ok = (raw: unknown): unknown => { const r = parseFraction(raw, 'x'); return r.ok ? r.value : r.severity; };
    assert.strictEqual(ok(0.9), 0.9);
    assert.strictEqual(ok('0.85'), 0.85);
    assert.strictEqual(ok('.5'), 0.5);
    assert.strictEqual(ok(1), 1);
    assert.strictEqual(ok(0), 'error');
    assert.strictEqual(ok(1.2), 'error');
    assert.strictEqual(ok('90%'), 'error');
  });
});
