// Loading a model folder, config.json or GGUF file from disk (used by the CLI and scripts; the editor reads
// documents through VS Code instead). Node's fs only: no vscode import.

import * as fs from 'fs';
import * as path from 'path';
import { ModelFiles } from '../core/types';
import { ParsedJson, parseConfigText } from '../core/configText';
import { SIDE_FILES } from '../core/modelResolution';
import { GgufHeader, ggufModel, ggufSplitOf, readGgufHeader } from '../formats/gguf';
import { ReadRefused, openRegularFile, readRegularFileSync } from '../analysis/boundedRead';

/** Refuse to read configs larger than this: real ones are a few KB, indexes a few hundred KB. */
export const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

export type LoadResult = { ok: true; files: ModelFiles; configPath: string } | { ok: false; message: string };

function readJson(file: string, parse: (text: string) => ParsedJson = parseConfigText): { ok: true; value: unknown } | { ok: false; message: string } {
  let text: string;
  try {
    text = readRegularFileSync(file, MAX_CONFIG_BYTES).toString('utf8');
  } catch (e) {
    return { ok: false, message: e instanceof ReadRefused ? e.message : `Cannot read ${file}: ${(e as Error).message}` };
  }
  const parsed = parse(text);
  return parsed.ok ? parsed : { ok: false, message: `${file} is not valid JSON: ${parsed.message}` };
}

/**
 * The name of the model in a folder: its name, or for a Hugging Face cache snapshot
 * (`models--org--name/snapshots/<revision>/`) the model's id `org/name`, as a lookup by id names it.
 */
function folderModelName(dir: string): string {
  const abs = path.resolve(dir);
  const repo = path.basename(path.dirname(path.dirname(abs)));
  if (path.basename(path.dirname(abs)) === 'snapshots' && /^models--./.test(repo)) return repo.slice('models--'.length).replace('--', '/');
  return path.basename(abs);
}

/** Reads `target` (a config.json or a folder holding one) with its side files. */
export function loadModelFiles(target: string): LoadResult {
  try {
    if (!fs.existsSync(target)) return { ok: false, message: `No such file or folder: ${target}` };
    let configPath = target;
    if (fs.statSync(target).isDirectory()) {
      const candidates = fs.readdirSync(target).filter((f) => f === 'config.json' || /^config.*\.json$/.test(f));
      const pick = candidates.includes('config.json') ? 'config.json' : candidates[0];
      if (!pick) return { ok: false, message: `No config.json in ${target}` };
      configPath = path.join(target, pick);
    }
    const config = readJson(configPath);
    if (!config.ok) return config;
    const dir = path.dirname(configPath);
    const files: ModelFiles = { config: config.value, nameHint: folderModelName(dir) };
    for (const { key, name, parse } of SIDE_FILES) {
      const file = path.join(dir, name);
      if (!fs.existsSync(file)) continue;
      const side = readJson(file, parse);
      if (side.ok) files[key] = side.value;
    }
    return { ok: true, files, configPath };
  } catch (err) {
    return { ok: false, message: `Cannot read ${target}: ${(err as Error).message}` };
  }
}

/** Most bytes one read of a GGUF header asks for: the reader's window (64 KiB) and the occasional long string. */
const GGUF_READ_BYTES = 1 << 20;

/** A GGUF file's header read from disk in bounded chunks: a 100 GB file costs its header's few MB of reads. */
async function readHeaderOf(file: string): Promise<GgufHeader> {
  const fh = await openRegularFile(file);
  try {
    return await readGgufHeader(async (offset, length) => {
      const buf = Buffer.alloc(Math.min(length, GGUF_READ_BYTES));
      const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
      return buf.subarray(0, bytesRead);
    });
  } finally {
    await fh.close();
  }
}

export type GgufLoadResult = { ok: true; files: ModelFiles; parts: number; fileType?: string } | { ok: false; message: string };

/**
 * Reads a `.gguf` file's header (every part's, for a split `-00001-of-00003.gguf` model: the first holds the
 * metadata, each holds some tensors) into what the engine sizes: an HF-like config and every tensor's exact bytes.
 */
export async function loadGgufModelFiles(target: string): Promise<GgufLoadResult> {
  try {
    if (!fs.existsSync(target)) return { ok: false, message: `No such file: ${target}` };
    const split = ggufSplitOf(path.basename(target));
    const paths = split ? Array.from({ length: split.count }, (_, i) => path.join(path.dirname(target), split.pattern(i + 1))) : [target];
    const missing = paths.filter((p) => !fs.existsSync(p));
    if (missing.length) return { ok: false, message: `${target} is part of a split GGUF model; missing ${missing.map((p) => path.basename(p)).join(', ')}` };
    const headers: GgufHeader[] = [];
    for (const p of paths) {
      try {
        headers.push(await readHeaderOf(p));
      } catch (e) {
        return { ok: false, message: `${p}: ${(e as Error).message}` };
      }
    }
    const tensors = headers.flatMap((h) => h.tensors);
    const combined: GgufHeader = { ...headers[0], tensors, tensorBytes: tensors.reduce((t, x) => t + x.bytes, 0) };
    const { config, gguf } = ggufModel(combined);
    const name = headers[0].metadata.get('general.name');
    const base = path.basename(paths[0]).replace(/(-\d{5}-of-\d{5})?\.gguf$/i, '');
    const files: ModelFiles = { config, nameHint: typeof name === 'string' && name.trim() ? name.trim() : base, ggufTensors: gguf.tensors };
    if (gguf.fileType) files.ggufFileType = gguf.fileType;
    return { ok: true, files, parts: paths.length, fileType: gguf.fileType };
  } catch (err) {
    return { ok: false, message: `Cannot read ${target}: ${(err as Error).message}` };
  }
}
