// The models bundled with the extension and the CLI: generated from the config corpus (scripts/generate-bundled-models.js)
// into src/core/bundled-models.json, shipped beside the bundles as dist/bundled-models.json (not inside them), and
// read once, on first use.
//
// The generator writes one entry a line, each starting with `{"id":"<id>"`. Loading indexes the ids in the file's
// bytes (a lookup by id reads nothing else) and decodes and parses an entry when its config, files or provenance is
// first read: a few milliseconds instead of decoding and parsing every config. Any other JSON list is parsed whole.
import * as fs from 'fs';
import * as path from 'path';

export interface BundledModel {
  /** Hugging Face id. */
  readonly id: string;
  /** The corpus folder it was generated from. */
  readonly folder?: string;
  /** Where the config comes from: `verbatim`, or how a re-saved or re-indented copy differs (values intact). */
  readonly provenance?: string;
  /** The config.json, keeping the keys the engine reads. */
  readonly config: unknown;
  /** Files beside the config (safetensorsIndex, quantizeConfig, ...), keyed like ModelFiles. */
  readonly files?: Record<string, unknown>;
}

/** Where the catalog is: beside the bundle (dist/), or in the source tree when running from out/ (tests). */
function catalogCandidates(): string[] {
  return [
    path.join(__dirname, 'bundled-models.json'),
    path.resolve(__dirname, '..', '..', '..', 'src', 'core', 'bundled-models.json'),
  ];
}

type Body = Omit<BundledModel, 'id'>;

/** An entry of the one-line-per-entry file: its id read from the bytes, the rest decoded and parsed on first use. */
class LazyModel implements BundledModel {
  private body: Body | undefined;
  constructor(readonly id: string, private bytes: Buffer | undefined, private readonly start: number, private readonly end: number) {}
  private parsed(): Body {
    if (this.body) return this.body;
    let body: Body = { config: undefined };
    try {
      const value = JSON.parse(this.bytes?.toString('utf8', this.start, this.end) ?? 'null') as unknown;
      // A broken line leaves no config: the model is then "not a JSON object", never sized from garbage.
      if (value && typeof value === 'object' && !Array.isArray(value) && (value as { id?: unknown }).id === this.id) body = value as Body;
    } catch {
      // as above
    }
    this.bytes = undefined;
    return (this.body = body);
  }
  get folder(): string | undefined { const f = this.parsed().folder; return typeof f === 'string' ? f : undefined; }
  get provenance(): string | undefined { const p = this.parsed().provenance; return typeof p === 'string' ? p : undefined; }
  get config(): unknown { return this.parsed().config; }
  get files(): Record<string, unknown> | undefined {
    const f = this.parsed().files;
    return f && typeof f === 'object' && !Array.isArray(f) ? f : undefined;
  }
}

const ENTRY_START = Buffer.from('{"id":"', 'latin1');
const [NL, CR, QUOTE, COMMA, CLOSE_BRACE] = [10, 13, 34, 44, 125];

/**
 * The models of a catalog file. The generator's layout (`[`, one `{"id":"…",…}` a line, `]`) is indexed without
 * decoding the entries; anything else is parsed whole. Entries without a string id are left out.
 * Throws on a file that is not JSON (the caller says which file).
 */
export function readCatalogBytes(bytes: Buffer): { models: BundledModel[]; problem?: string } {
  const indexed = indexEntryLines(bytes);
  if (indexed) return { models: indexed };
  const parsed = JSON.parse(bytes.toString('utf8')) as unknown;
  if (!Array.isArray(parsed)) return { models: [], problem: 'is not a list of models' };
  const models = parsed.filter((m): m is BundledModel => !!m && typeof m === 'object' && typeof (m as { id?: unknown }).id === 'string');
  return { models, problem: models.length < parsed.length ? `has ${parsed.length - models.length} entries without an id` : undefined };
}

/** readCatalogBytes of a text. */
export function readCatalogText(text: string): { models: BundledModel[]; problem?: string } {
  return readCatalogBytes(Buffer.from(text, 'utf8'));
}

/** The entries of the generator's layout, their ids read from the bytes; undefined for any other layout. */
function indexEntryLines(bytes: Buffer): BundledModel[] | undefined {
  /** The end of the line starting at `from`, without its line break. */
  const lineEnd = (from: number, next: number): number => (next > from && bytes[next - 1] === CR ? next - 1 : next);
  let next = bytes.indexOf(NL);
  if (next < 0 || lineEnd(0, next) !== 1 || bytes[0] !== 0x5b) return undefined; // `[`
  const models: BundledModel[] = [];
  for (let start = next + 1; start < bytes.length; start = next + 1) {
    next = bytes.indexOf(NL, start);
    if (next < 0) next = bytes.length;
    let end = lineEnd(start, next);
    if (end === start + 1 && bytes[start] === 0x5d) {
      // `]` closes the list, and only white space follows it.
      for (let i = next; i < bytes.length; i++) if (![NL, CR, 0x20, 0x09].includes(bytes[i])) return undefined;
      return models.length ? models : undefined;
    }
    if (bytes[end - 1] === COMMA) end--;
    const idStart = start + ENTRY_START.length;
    const idEnd = bytes.indexOf(QUOTE, idStart);
    // A line that is no entry, or an id with an escape: not the generator's layout after all.
    if (idStart >= end || bytes.compare(ENTRY_START, 0, ENTRY_START.length, start, idStart) !== 0 || bytes[end - 1] !== CLOSE_BRACE
      || idEnd <= idStart || idEnd >= end || (bytes[idEnd + 1] !== COMMA && bytes[idEnd + 1] !== CLOSE_BRACE)) return undefined;
    const id = bytes.toString('utf8', idStart, idEnd);
    if (id.includes('\\')) return undefined;
    models.push(new LazyModel(id, bytes, start, end));
  }
  return undefined; // no `]`
}

/** Reads a catalog file; never throws (an unreadable catalog is an empty one, with a message saying why). */
export function readCatalogFile(file: string): { models: readonly BundledModel[]; problem?: string } | undefined {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch {
    return undefined;
  }
  try {
    const read = readCatalogBytes(bytes);
    return { models: read.models, problem: read.problem && `${file} ${read.problem}` };
  } catch (err) {
    return { models: [], problem: `${file}: ${(err as Error).message}` };
  }
}

let models: readonly BundledModel[] | undefined;
let loadMessage: string | undefined;

/** The bundled models, read on first use (an unreadable catalog is an empty one, with `bundledCatalogProblem` saying why). */
export function bundledModels(): readonly BundledModel[] {
  if (models) return models;
  for (const file of catalogCandidates()) {
    const read = readCatalogFile(file);
    if (!read) continue;
    models = read.models;
    loadMessage = read.problem;
    return models;
  }
  loadMessage = 'bundled-models.json was not found beside the extension';
  models = [];
  return models;
}

/** Why the bundled catalog is empty, when it is. */
export function bundledCatalogProblem(): string | undefined {
  bundledModels();
  return loadMessage;
}
