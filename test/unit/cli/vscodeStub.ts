// A stand-in for the `vscode` module, enough to run the editor's own analysis and diagnostics code
// (src/editor/analysis.ts, diagnostics.ts, modelResolver.ts, settings.ts) in mocha: URIs, ranges, diagnostics,
// an event emitter, settings at their package.json defaults, no workspace folder. Positions come from
// helpers.position (lines split with a regular expression), not from the code under test.
import * as path from 'path';
import { position } from './helpers';

export class StubUri {
  constructor(readonly scheme: string, readonly path: string) {}
  static file(p: string): StubUri { return new StubUri('file', path.resolve(p).split(path.sep).join('/')); }
  static joinPath(b: StubUri, ...s: string[]): StubUri { return new StubUri(b.scheme, path.posix.join(b.path, ...s)); }
  get fsPath(): string { return this.path; }
  with(c: { scheme?: string; path?: string }): StubUri { return new StubUri(c.scheme ?? this.scheme, c.path ?? this.path); }
  toString(): string { return `${this.scheme}://${this.path}`; }
}

class Position { constructor(readonly line: number, readonly character: number) {} }
class Range { constructor(readonly start: Position, readonly end: Position) {} }

enum DiagnosticSeverity { Error = 0, Warning = 1, Information = 2, Hint = 3 }

class Diagnostic {
  source?: string;
  code?: string | number;
  constructor(readonly range: Range, readonly message: string, readonly severity: DiagnosticSeverity) {}
}

class EventEmitter<T> {
  private readonly listeners: ((e: T) => void)[] = [];
  readonly event = (l: (e: T) => void): { dispose(): void } => { this.listeners.push(l); return { dispose: () => undefined }; };
  fire(e: T): void { for (const l of this.listeners) l(e); }
}

/** Defaults of the settings the analysis reads (package.json's contributes.configuration). */
function defaults(): Record<string, unknown> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pkg = require(path.resolve(__dirname, '../../../../package.json')) as { contributes: { configuration: { properties: Record<string, { default?: unknown }> } } };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(pkg.contributes.configuration.properties)) out[k.replace(/^inferenceBudget\./, '')] = v.default;
  return out;
}

export function makeVscodeStub(): unknown {
  const settings = defaults();
  return {
    Uri: StubUri,
    Position, Range, Diagnostic, DiagnosticSeverity, EventEmitter,
    FileType: { Unknown: 0, File: 1, Directory: 2, SymbolicLink: 64 },
    CancellationError: class CancellationError extends Error {},
    workspace: {
      isTrusted: true,
      workspaceFolders: undefined,
      textDocuments: [],
      findFiles: async () => [],
      asRelativePath: (u: StubUri | string) => (typeof u === 'string' ? u : u.fsPath),
      getConfiguration: () => ({ get: (k: string) => settings[k] }),
    },
  };
}

/** A text document of the stub: positions from the independent line splitter. */
export function stubDocument(file: string, text: string, languageId = 'yaml'): unknown {
  return {
    uri: StubUri.file(file), version: 1, languageId, isClosed: false,
    getText: () => text,
    positionAt: (offset: number) => { const p = position(text, offset); return new Position(p.line - 1, p.column - 1); },
  };
}

export const SEVERITY_NAME = ['error', 'warning', 'information', 'hint'] as const;

/**
 * Loads modules with `vscode` resolved to the stub; returns them and a function that puts back the module
 * loader and whatever copies of those modules were loaded before.
 */
export function loadWithStub<T>(modules: string[], stub: unknown): { modules: T[]; restore: () => void } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Module = require('module') as { _load: (request: string, ...rest: unknown[]) => unknown };
  const originalLoad = Module._load;
  Module._load = function load(this: unknown, request: string, ...rest: unknown[]) {
    return request === 'vscode' ? stub : originalLoad.call(this, request, ...rest);
  };
  // Every editor module is loaded afresh, bound to this stub.
  const editorDir = path.resolve(__dirname, '../../../src/editor');
  const saved = new Map<string, NodeJS.Module>();
  for (const [k, m] of Object.entries(require.cache)) if (k.startsWith(editorDir) && m) { saved.set(k, m); delete require.cache[k]; }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const loaded = modules.map((m) => require(m) as T);
  return {
    modules: loaded,
    restore: () => {
      Module._load = originalLoad;
      for (const k of Object.keys(require.cache)) if (k.startsWith(editorDir)) delete require.cache[k];
      for (const [k, m] of saved) require.cache[k] = m;
    },
  };
}
