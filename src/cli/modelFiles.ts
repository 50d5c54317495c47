// Loading a model folder or config.json from disk (used by the CLI and scripts; the editor reads
// documents through VS Code instead). Node's fs only: no vscode import.

import * as fs from 'fs';
import * as path from 'path';
import { ModelFiles } from '../core/types';
import { ParsedJson, parseConfigText } from '../core/configText';
import { SIDE_FILES } from '../core/modelResolution';

/** Refuse to read configs larger than this: real ones are a few KB, indexes a few hundred KB. */
export const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

export type LoadResult = { ok: true; files: ModelFiles; configPath: string } | { ok: false; message: string };

function readJson(file: string, parse: (text: string) => ParsedJson = parseConfigText): { ok: true; value: unknown } | { ok: false; message: string } {
  const stat = fs.statSync(file);
  if (stat.size > MAX_CONFIG_BYTES) return { ok: false, message: `${file} is ${stat.size} bytes, larger than the ${MAX_CONFIG_BYTES}-byte limit for a config` };
  const parsed = parse(fs.readFileSync(file, 'utf8'));
  return parsed.ok ? parsed : { ok: false, message: `${file} is not valid JSON: ${parsed.message}` };
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
    const files: ModelFiles = { config: config.value, nameHint: path.basename(path.resolve(dir)) };
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
