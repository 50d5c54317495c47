// Records which keys of a config the engine reads. A config (and its side files) is handed to the engine wrapped in
// a Proxy that notes every key asked for (`get`, `in`, own-property checks), object by object, and every object whose
// keys are enumerated (Object.keys/values, a copy by spread). normalizeConfig copies the top of a config (or its
// text_config) into the reader that it then asks, `{ ...textCfg } : { ...config }`; a copy would hide which keys
// are asked for, so the engine is loaded afresh with that copy made by `recordedCopy`, which keeps recording.
// Used by catalogFields.test.ts to check that the bundled catalog keeps every key the engine reads, and no other.
import * as fs from 'fs';
import * as path from 'path';
import Module = require('module');

type Json = Record<string, unknown>;

/** A key asked of an object: the object's path (`rope_scaling`, `block_configs.[]`) and the key. */
export interface KeyRead { parent: readonly string[]; key: string }

const TARGET = Symbol('recorded target');
const PATH = Symbol('recorded path');

let reads: Map<string, KeyRead> | undefined;
let enumerated: Map<string, readonly string[]> | undefined;

function noteRead(parent: readonly string[], key: string | symbol): void {
  if (typeof key !== 'string' || !reads) return;
  const id = JSON.stringify([...parent, key]);
  if (!reads.has(id)) reads.set(id, { parent, key });
}

/** `value` wrapped so that what the engine asks of it is recorded under `at`; arrays record what their elements are asked. */
export function recorded<T>(value: T, at: readonly string[]): T {
  if (!value || typeof value !== 'object') return value;
  const isArray = Array.isArray(value);
  return new Proxy(value as unknown as Json, {
    get(target, key, receiver) {
      if (key === TARGET) return target;
      if (key === PATH) return at;
      const v = Reflect.get(target, key, receiver) as unknown;
      if (!isArray) noteRead(at, key);
      const own = typeof key === 'string' && Object.prototype.hasOwnProperty.call(target, key);
      return own && v && typeof v === 'object' ? recorded(v, [...at, isArray ? '[]' : key as string]) : v;
    },
    has(target, key) {
      if (!isArray) noteRead(at, key);
      return Reflect.has(target, key);
    },
    getOwnPropertyDescriptor(target, key) {
      if (!isArray) noteRead(at, key);
      return Reflect.getOwnPropertyDescriptor(target, key);
    },
    ownKeys(target) {
      if (!isArray && enumerated) enumerated.set(JSON.stringify(at), at);
      return Reflect.ownKeys(target);
    },
  }) as unknown as T;
}

/** normalizeConfig's copy of a recorded object: a plain copy that records what is asked of it, under the same path. */
export function recordedCopy(value: Json): Json {
  const target = (value as Record<symbol, unknown>)[TARGET] as Json | undefined;
  const at = (value as Record<symbol, unknown>)[PATH] as string[] | undefined;
  return target && at ? recorded({ ...target }, at) : { ...value };
}

const CORE = path.resolve(__dirname, '..', '..', '..', 'src', 'core');
const COPY = 'let inner = textCfg ?? config;';

export interface RecordingEngine {
  budget: typeof import('../../../src/core/budget');
  resolution: typeof import('../../../src/core/modelResolution');
}

/**
 * The engine (out/src/core) loaded afresh, with the config normalizeConfig reads replaced by a copy made by `recordedCopy`; the
 * modules other tests use are left as they were. Throws when normalize.ts no longer makes that copy as expected.
 */
export function recordingEngine(): RecordingEngine {
  const file = path.join(CORE, 'normalize.js');
  const source = fs.readFileSync(file, 'utf8');
  if (!source.includes(COPY)) throw new Error(`normalize.ts no longer reads the config as \`${COPY}\`: update test/unit/core/configReads.ts`);
  const cache = require.cache;
  const saved = new Map<string, NodeJS.Module | undefined>();
  for (const key of Object.keys(cache)) if (key.startsWith(CORE + path.sep)) { saved.set(key, cache[key]); delete cache[key]; }
  try {
    const patched = source.replace(COPY, `const __rec = require(${JSON.stringify(__filename)}); let inner = textCfg ? __rec.recordedCopy(textCfg) : __rec.recordedCopy(config);`);
    const ModuleClass = Module as unknown as { new(id: string, parent?: NodeModule): NodeJS.Module & { _compile(code: string, filename: string): void }; _nodeModulePaths(dir: string): string[] };
    const m = new ModuleClass(file, module);
    m.filename = file;
    m.paths = ModuleClass._nodeModulePaths(CORE);
    m._compile(patched, file);
    m.loaded = true;
    cache[file] = m;
    return {
      budget: require(path.join(CORE, 'budget.js')) as RecordingEngine['budget'],
      resolution: require(path.join(CORE, 'modelResolution.js')) as RecordingEngine['resolution'],
    };
  } finally {
    for (const key of Object.keys(cache)) if (key.startsWith(CORE + path.sep)) delete cache[key];
    for (const [key, m] of saved) if (m) cache[key] = m;
  }
}

/** Runs `body` and returns the keys asked of recorded objects meanwhile, and the objects whose keys were enumerated. */
export function recordReads(body: () => void): { reads: KeyRead[]; enumerated: (readonly string[])[] } {
  reads = new Map();
  enumerated = new Map();
  try {
    body();
    return { reads: [...reads.values()], enumerated: [...enumerated.values()] };
  } finally {
    reads = undefined;
    enumerated = undefined;
  }
}
