// A minimal stand-in for the `vscode` module, so the editor layer's own code (src/editor/analysis.ts,
// hover.ts, diagnostics.ts' buildDiagnostics, modelResolver.ts, settings.ts) can be timed in plain Node by
// scripts/bench.ts. esbuild aliases `vscode` to this file for the bench bundle only; the extension never
// sees it. Only what those modules touch is here: URIs, ranges, markdown, diagnostics, settings (the
// package.json defaults), the workspace file system (node:fs) and findFiles('**/config.json').
import * as fs from 'fs';
import * as nodePath from 'path';

// ---- URIs ------------------------------------------------------------------------------------------

export class Uri {
  private constructor(
    readonly scheme: string,
    readonly authority: string,
    readonly path: string,
    readonly query: string,
    readonly fragment: string,
  ) {}

  static file(p: string): Uri {
    return new Uri('file', '', nodePath.resolve(p).replace(/\\/g, '/'), '', '');
  }

  static parse(s: string): Uri {
    const m = /^([a-z][\w+.-]*):(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/i.exec(s);
    if (!m) throw new Error(`not a URI: ${s}`);
    return new Uri(m[1], m[2] ?? '', decodeURIComponent(m[3] ?? ''), m[4] ?? '', m[5] ?? '');
  }

  static joinPath(base: Uri, ...segments: string[]): Uri {
    return base.with({ path: nodePath.posix.join(base.path || '/', ...segments) });
  }

  get fsPath(): string { return this.path; }

  with(change: { scheme?: string; authority?: string; path?: string; query?: string; fragment?: string }): Uri {
    return new Uri(change.scheme ?? this.scheme, change.authority ?? this.authority, change.path ?? this.path,
      change.query ?? this.query, change.fragment ?? this.fragment);
  }

  toString(): string {
    const auth = this.scheme === 'file' || this.authority ? `//${this.authority}` : '';
    return `${this.scheme}:${auth}${encodeURI(this.path)}${this.query ? `?${this.query}` : ''}${this.fragment ? `#${this.fragment}` : ''}`;
  }

  toJSON(): unknown { return { scheme: this.scheme, path: this.path }; }
}

// ---- positions, ranges, text -------------------------------------------------------------------------

export class Position {
  constructor(readonly line: number, readonly character: number) {}
}

export class Range {
  readonly start: Position;
  readonly end: Position;
  constructor(a: Position | number, b: Position | number, c?: number, d?: number) {
    if (typeof a === 'number') { this.start = new Position(a, b as number); this.end = new Position(c!, d!); } else { this.start = a; this.end = b as Position; }
  }
}

export class MarkdownString {
  isTrusted?: boolean | { enabledCommands: string[] };
  supportThemeIcons?: boolean;
  constructor(public value = '') {}
  appendMarkdown(s: string): this { this.value += s; return this; }
}

export class Hover {
  readonly contents: MarkdownString[];
  constructor(contents: MarkdownString | MarkdownString[], public range?: Range) {
    this.contents = Array.isArray(contents) ? contents : [contents];
  }
}

export enum DiagnosticSeverity { Error = 0, Warning = 1, Information = 2, Hint = 3 }

export class Diagnostic {
  source?: string;
  code?: string | number;
  constructor(public range: Range, public message: string, public severity: DiagnosticSeverity = DiagnosticSeverity.Error) {}
}

export enum FileType { Unknown = 0, File = 1, Directory = 2, SymbolicLink = 64 }

export class CancellationError extends Error {
  constructor() { super('Canceled'); this.name = 'Canceled'; }
}

export class EventEmitter<T> {
  private listeners: ((e: T) => void)[] = [];
  readonly event = (listener: (e: T) => void) => {
    this.listeners.push(listener);
    return { dispose: () => { this.listeners = this.listeners.filter((l) => l !== listener); } };
  };
  fire(e: T): void { for (const l of [...this.listeners]) l(e); }
  dispose(): void { this.listeners = []; }
}

export class Disposable {
  constructor(private readonly release: () => unknown) {}
  static from(...items: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => { for (const d of items) d.dispose(); });
  }
  dispose(): void { this.release(); }
}

export class CancellationTokenSource {
  readonly token = { isCancellationRequested: false, onCancellationRequested: () => ({ dispose() {} }) };
  cancel(): void { this.token.isCancellationRequested = true; }
  dispose(): void { /* nothing */ }
}

/** A TextDocument over a fixed text, with VS Code's offset ⇄ position conversions (lines split on \r\n, \r, \n). */
export class ShimTextDocument {
  readonly isClosed = false;
  private readonly lineStarts: number[];
  constructor(readonly uri: Uri, readonly languageId: string, private readonly text: string, readonly version = 1) {
    const starts = [0];
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 13) { if (text.charCodeAt(i + 1) === 10) i++; starts.push(i + 1); } else if (c === 10) starts.push(i + 1);
    }
    this.lineStarts = starts;
  }
  get fileName(): string { return this.uri.fsPath; }
  get lineCount(): number { return this.lineStarts.length; }
  getText(): string { return this.text; }
  offsetAt(p: Position): number {
    const line = Math.max(0, Math.min(p.line, this.lineStarts.length - 1));
    const start = this.lineStarts[line];
    const end = line + 1 < this.lineStarts.length ? this.lineStarts[line + 1] : this.text.length;
    return Math.min(start + Math.max(0, p.character), end);
  }
  positionAt(offset: number): Position {
    const o = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid] <= o) lo = mid; else hi = mid - 1;
    }
    return new Position(lo, o - this.lineStarts[lo]);
  }
}

// ---- settings (package.json defaults, overridable) ---------------------------------------------------

const settingValues = new Map<string, unknown>();

/** Sets `inferenceBudget.<key>` for the shim (undefined: back to the package.json default). */
export function __setSetting(key: string, value: unknown): void {
  if (value === undefined) settingValues.delete(key); else settingValues.set(key, value);
}

function packageDefaults(): Record<string, unknown> {
  // The bench runs from the repository root.
  try {
    const pkg = JSON.parse(fs.readFileSync(nodePath.join(process.cwd(), 'package.json'), 'utf8'));
    const props = pkg.contributes?.configuration?.properties ?? {};
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(props)) out[k] = (v as { default?: unknown }).default;
    return out;
  } catch {
    return {};
  }
}
const defaults = packageDefaults();

// ---- workspace ------------------------------------------------------------------------------------------

let folders: { uri: Uri; name: string; index: number }[] | undefined;

/** Sets the workspace folder the shim's findFiles / asRelativePath use (undefined: no folder). */
export function __setWorkspaceFolder(dir: string | undefined): void {
  folders = dir ? [{ uri: Uri.file(dir), name: nodePath.basename(dir), index: 0 }] : undefined;
}

function walk(dir: string, name: string, skip: RegExp, out: string[], max: number): void {
  let entries: fs.Dirent[];
  try { entries = fs.readdirSync(dir, { withFileTypes: true }); } catch { return; }
  for (const e of entries) {
    if (out.length >= max) return;
    const p = nodePath.join(dir, e.name);
    if (e.isDirectory()) { if (!skip.test(e.name)) walk(p, name, skip, out, max); } else if (e.name === name) out.push(p);
  }
}

export const workspace = {
  isTrusted: true,
  get workspaceFolders() { return folders; },
  textDocuments: [] as ShimTextDocument[],
  getConfiguration(section?: string) {
    const full = (key: string) => (section ? `${section}.${key}` : key);
    return {
      get<T>(key: string, fallback?: T): T | undefined {
        const k = full(key);
        const v = settingValues.has(k) ? settingValues.get(k) : defaults[k];
        return (v === undefined || v === null ? fallback ?? (v as T) : v) as T;
      },
      has: (key: string) => settingValues.has(full(key)) || full(key) in defaults,
      inspect: (key: string) => ({ key: full(key), defaultValue: defaults[full(key)] }),
      update: async (key: string, value: unknown) => { __setSetting(full(key), value); },
    };
  },
  fs: {
    async stat(uri: Uri) {
      const st = await fs.promises.stat(uri.fsPath);
      return { type: st.isDirectory() ? FileType.Directory : FileType.File, size: st.size, ctime: st.ctimeMs, mtime: st.mtimeMs };
    },
    async readFile(uri: Uri): Promise<Uint8Array> {
      return fs.promises.readFile(uri.fsPath);
    },
    async readDirectory(uri: Uri): Promise<[string, FileType][]> {
      const entries = await fs.promises.readdir(uri.fsPath, { withFileTypes: true });
      return entries.map((e) => [e.name, e.isDirectory() ? FileType.Directory : FileType.File]);
    },
  },
  /** Only the pattern the resolver uses: every `<name>` file ('**\/<name>'), node_modules and .git skipped. */
  async findFiles(include: string, _exclude?: string, max = Number.MAX_SAFE_INTEGER): Promise<Uri[]> {
    const m = /^\*\*\/([^*/]+)$/.exec(include);
    if (!m || !folders) return [];
    const out: string[] = [];
    for (const f of folders) walk(f.uri.fsPath, m[1], /^(node_modules|\.git)$/, out, max);
    return out.map((p) => Uri.file(p));
  },
  asRelativePath(uri: Uri | string): string {
    const p = typeof uri === 'string' ? uri : uri.fsPath;
    const root = folders?.[0]?.uri.fsPath;
    return root && p.startsWith(root + '/') ? p.slice(root.length + 1) : p;
  },
  onDidChangeConfiguration: () => ({ dispose() {} }),
  onDidOpenTextDocument: () => ({ dispose() {} }),
  onDidChangeTextDocument: () => ({ dispose() {} }),
  onDidCloseTextDocument: () => ({ dispose() {} }),
};

export const window = {
  createOutputChannel() {
    const noop = () => { /* bench: no output channel */ };
    return { info: noop, warn: noop, error: noop, appendLine: noop, dispose: noop };
  },
};

export const languages = {
  createDiagnosticCollection() {
    const m = new Map<string, Diagnostic[]>();
    return { set: (u: Uri, d: Diagnostic[]) => m.set(u.toString(), d), delete: (u: Uri) => m.delete(u.toString()), dispose() {} };
  },
};

export const version = 'bench-shim';
