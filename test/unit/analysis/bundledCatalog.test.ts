// The catalog loader (src/analysis/bundledCatalog.ts): the generator's one-entry-a-line file is indexed by id and each
// entry parsed when first used; any other JSON list is parsed whole; a broken file or entry is a message, never a crash.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { bundledModels, readCatalogFile, readCatalogText } from '../../../src/analysis/bundledCatalog';

const FILE = path.resolve(__dirname, '..', '..', '..', '..', 'src', 'core', 'bundled-models.json');
const TEXT = fs.readFileSync(FILE, 'utf8');

const plain = (m: { id: string; folder?: string; provenance?: string; config: unknown; files?: unknown }) =>
  ({ id: m.id, folder: m.folder, provenance: m.provenance, config: m.config, files: m.files });

describe('bundled catalog loader', () => {
  it('reads the shipped file as JSON.parse does, entry by entry', () => {
    const whole = JSON.parse(TEXT) as Array<{ id: string; folder?: string; provenance?: string; config: unknown; files?: unknown }>;
    const read = readCatalogText(TEXT);
    assert.strictEqual(read.problem, undefined);
    assert.strictEqual(read.models.length, whole.length);
    read.models.forEach((m, i) => assert.deepStrictEqual(plain(m), plain(whole[i]), whole[i].id));
    // What the extension and the CLI use is the same list.
    assert.deepStrictEqual(bundledModels().map((m) => m.id), whole.map((m) => m.id));
  });

  const lines = (entries: string[]) => `[\n${entries.join(',\n')}\n]\n`;
  const a = '{"id":"acme/a","provenance":"verbatim","config":{"model_type":"llama","num_hidden_layers":2}}';
  const b = '{"id":"acme/b","config":{"model_type":"qwen3"},"files":{"safetensorsIndex":{"metadata":{"total_size":10}}}}';

  it('lists every id without parsing the entries: a broken entry has no config, the others are whole', () => {
    const broken = '{"id":"acme/broken","config":{"model_type":"llama",}}';
    const read = readCatalogText(lines([a, broken, b]));
    assert.deepStrictEqual(read.models.map((m) => m.id), ['acme/a', 'acme/broken', 'acme/b']);
    assert.strictEqual(read.models[1].config, undefined);
    assert.strictEqual(read.models[1].files, undefined);
    assert.deepStrictEqual(read.models[0].config, { model_type: 'llama', num_hidden_layers: 2 });
    assert.strictEqual(read.models[0].provenance, 'verbatim');
    assert.deepStrictEqual(read.models[2].files, { safetensorsIndex: { metadata: { total_size: 10 } } });
    // Parsed once: the same object on every read.
    assert.strictEqual(read.models[0].config, read.models[0].config);
  });

  it('reads Windows line ends and UTF-8; a line whose id is not its entry\'s gives no config', () => {
    const read = readCatalogText(lines([a, b]).replace(/\n/g, '\r\n'));
    assert.deepStrictEqual(read.models.map((m) => m.config), [{ model_type: 'llama', num_hidden_layers: 2 }, { model_type: 'qwen3' }]);
    // An id in UTF-8 (the generator writes ASCII only) is read as such.
    assert.deepStrictEqual(readCatalogText(lines(['{"id":"acme/modèle","config":{"a":"é"}}'])).models.map((m) => [m.id, m.config]), [['acme/modèle', { a: 'é' }]]);
    const twice = readCatalogText(lines([a, '{"id":"acme/c","id":"acme/d","config":{}}']));
    assert.deepStrictEqual(twice.models.map((m) => m.id), ['acme/a', 'acme/c']);
    assert.strictEqual(twice.models[1].config, undefined);
  });

  it('parses any other layout whole; entries without an id are left out and said', () => {
    const pretty = JSON.stringify([JSON.parse(a), { config: {} }, JSON.parse(b)], null, 2);
    const read = readCatalogText(pretty);
    assert.deepStrictEqual(read.models.map((m) => m.id), ['acme/a', 'acme/b']);
    assert.match(read.problem ?? '', /1 entries without an id/);
    // An escaped id in the line layout is read by the whole parse.
    const escaped = readCatalogText(lines(['{"id":"acme/\\u0065","config":{}}']));
    assert.deepStrictEqual(escaped.models.map((m) => m.id), ['acme/e']);
    assert.deepStrictEqual(readCatalogText('{"models":[]}'), { models: [], problem: 'is not a list of models' });
    assert.throws(() => readCatalogText('[\n{"id":"acme/a"'), SyntaxError);
  });

  it('a missing file is no catalog; an unreadable one is empty, with the reason', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ib-catalog-'));
    try {
      assert.strictEqual(readCatalogFile(path.join(dir, 'absent.json')), undefined);
      const bad = path.join(dir, 'bad.json');
      fs.writeFileSync(bad, '[\n{"id":');
      const read = readCatalogFile(bad)!;
      assert.deepStrictEqual(read.models, []);
      assert.ok(read.problem?.startsWith(`${bad}: `), read.problem);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
