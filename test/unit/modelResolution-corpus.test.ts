// Issue 12, "Done when": every model id named in the real deployment corpus (../shared/deployments) whose config is
// in the config corpus (../shared/model-configs) resolves offline, through the resolver `check` uses, to the right
// entry; the others are variants of a corpus model (said so) or "not found" naming the nearest candidates. The
// expected entry is decided here from INDEX.md's rows and folder names, not from the resolver's output.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { bundledModels } from '../../src/analysis/bundledCatalog';
import { defaultSettings } from '../../src/analysis/settings';
import { FileModelResolver } from '../../src/cli/fileResolver';
import { lookUpModel } from '../../src/cli/modelRefs';
import { parseModelReference } from '../../src/core/modelResolution';
import { parseDocument } from '../../src/formats';

const ROOT = path.resolve(__dirname, '../../..');
const DEPLOYMENTS = path.resolve(ROOT, '..', 'shared', 'deployments');
const CONFIGS = path.resolve(ROOT, '..', 'shared', 'model-configs');
const log = { info: () => undefined, warn: () => undefined, error: () => undefined };

interface IndexRow { family: string; folder: string; id: string }

/** INDEX.md's table: family, model folder, HF id (the first word of the column; notes in parentheses dropped). */
function indexRows(): IndexRow[] {
  const rows: IndexRow[] = [];
  for (const line of fs.readFileSync(path.join(CONFIGS, 'INDEX.md'), 'utf8').split('\n')) {
    if (!line.startsWith('| ') || line.startsWith('| family') || line.startsWith('|---')) continue;
    const cells = line.split('|').map((c) => c.trim());
    const id = (cells[3] ?? '').split(/\s/)[0];
    if (/^[\w.-]+\/[\w.-]+$/.test(id)) rows.push({ family: cells[1], folder: cells[2], id });
  }
  return rows;
}

/** Hub ids named by the corpus's deployments, read by the same readers as the editor and `check`. */
function corpusIds(): Map<string, string[]> {
  const ids = new Map<string, string[]>();
  for (const f of fs.readdirSync(DEPLOYMENTS).filter((x) => /\.ya?ml$/.test(x)).sort()) {
    const parsed = parseDocument(f, fs.readFileSync(path.join(DEPLOYMENTS, f), 'utf8'));
    for (const d of parsed.deployments) {
      const ref = d.model ? parseModelReference(d.model.name) : undefined;
      if (ref?.kind !== 'hub') continue;
      if (!ids.has(ref.id)) ids.set(ref.id, []);
      ids.get(ref.id)!.push(f);
    }
  }
  return ids;
}

const nameOf = (id: string) => (id.split('/').pop() ?? id).toLowerCase();

describe('model resolution over the real deployment corpus (offline)', function () {
  const available = fs.existsSync(DEPLOYMENTS) && fs.existsSync(path.join(CONFIGS, 'INDEX.md'));
  before(function () { if (!available) this.skip(); });

  const rows = available ? indexRows() : [];
  const ids = available ? corpusIds() : new Map<string, string[]>();
  const resolver = new FileModelResolver(log, { workspaceFolders: [], env: {}, homeDir: path.join(ROOT, 'no-such-home') });
  const document = path.join(ROOT, 'no-such-folder', 'deployment.yaml');
  const resolve = (id: string) => resolver.resolve(id, document, defaultSettings());
  /** The corpus folder a resolved bundled id was generated from. */
  const folderOf = (location: string) => bundledModels().find((m) => `bundled:${m.id}` === location)?.folder;
  /** INDEX rows for an id: the same HF id, else a model folder of the same name (never `_native-formats`). */
  const expectedRows = (id: string): IndexRow[] => {
    const usable = rows.filter((r) => r.family !== '_native-formats');
    const byId = usable.filter((r) => r.id.toLowerCase() === id.toLowerCase());
    return byId.length ? byId : usable.filter((r) => r.folder.toLowerCase() === nameOf(id));
  };

  it('the corpus names many hub ids, and some of them have their config in the corpus', () => {
    assert.ok(ids.size >= 20, `${ids.size} ids`);
    assert.ok([...ids.keys()].filter((id) => expectedRows(id).length).length >= 10);
  });

  it('every id whose config is in the corpus resolves to that entry (a verbatim copy before a _partial one)', async () => {
    const wrong: string[] = [];
    let checked = 0;
    for (const id of ids.keys()) {
      const expected = expectedRows(id);
      if (!expected.length) continue;
      checked++;
      const r = await resolve(id);
      if (!r.ok) { wrong.push(`${id}: not found (${r.tried.join('; ')})`); continue; }
      const folder = folderOf(r.model.location);
      const folders = expected.map((e) => (e.family === '_partial' ? `_partial/${e.folder}` : `${e.family}/${e.folder}`));
      const verbatim = folders.filter((f) => !f.startsWith('_partial/'));
      const allowed = verbatim.length ? verbatim : folders;
      if (!folder || !allowed.includes(folder)) wrong.push(`${id}: ${r.model.location} (folder ${folder}), expected one of ${allowed.join(', ')}`);
      else if (r.model.note && !/same name/.test(r.model.note)) wrong.push(`${id}: an exact entry resolved as a variant (${r.model.note})`);
    }
    assert.ok(checked >= 10, `${checked} ids checked`);
    assert.deepStrictEqual(wrong, []);
  });

  it('meta-llama\'s renamed repos (Meta-Llama-3.1-X → Llama-3.1-X) resolve to the corpus\'s Meta-Llama-3.1 folders', async () => {
    for (const id of [...ids.keys()].filter((x) => /^meta-llama\/Llama-3\.1-\d+B$/i.test(x))) {
      const row = rows.find((r) => r.id.toLowerCase() === `meta-llama/meta-${nameOf(id)}`);
      if (!row) continue;
      const r = await resolve(id);
      assert.ok(r.ok, id);
      assert.strictEqual(folderOf(r.model.location), `${row.family}/${row.folder}`, id);
    }
  });

  it('an id without its own config is a variant of a corpus model whose name it extends (and says so), or "not found" naming candidates', async () => {
    const problems: string[] = [];
    for (const id of ids.keys()) {
      if (expectedRows(id).length) continue;
      const r = await resolve(id);
      if (r.ok) {
        const base = r.model.location.replace(/^bundled:/, '');
        // The base's name, with the tune and upload words removed from the id, is what the id is built on.
        const idWords = nameOf(id).replace(/^meta-/, '').split(/[-_.]/);
        const baseWords = nameOf(base).replace(/^meta-/, '').split(/[-_.]/);
        const missing = baseWords.filter((w) => !idWords.includes(w));
        if (!r.model.note || !/variant|same name/.test(r.model.note)) problems.push(`${id}: resolved to ${base} without saying it is a variant`);
        else if (missing.length) problems.push(`${id}: resolved to ${base}, whose name has words the id lacks (${missing.join(', ')})`);
        // A variant's base is a corpus model.
        else if (!rows.some((row) => row.id.toLowerCase() === base.toLowerCase())) problems.push(`${id}: resolved to ${base}, which is not in INDEX.md`);
      } else {
        const looked = await lookUpModel(id, { baseDir: path.dirname(document), workspaceFolders: [], env: {}, homeDir: path.join(ROOT, 'no-such-home'), allowDownload: false, log });
        assert.ok(!looked.ok);
        if (!/not found/.test(looked.message)) problems.push(`${id}: ${looked.message}`);
        // Where the corpus has a model of the same family (the first word of the name), candidates are named.
        const family = nameOf(id).split(/[-_.]/)[0];
        const sameFamily = rows.some((row) => row.family !== '_native-formats' && nameOf(row.id).startsWith(family));
        const named = /nearest bundled models: |closest bundled models: /.test(`${r.tried.join('; ')} ${looked.message}`);
        if (sameFamily && !named) problems.push(`${id}: not found without naming candidates of the ${family} family: ${r.tried.join('; ')}`);
      }
    }
    assert.deepStrictEqual(problems, []);
  });
});
