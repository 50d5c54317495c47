// The models bundled with the extension and the CLI: generated from the config corpus (scripts/generate-bundled-models.js)
// into src/core/bundled-models.json, shipped beside the bundles as dist/bundled-models.json (not inside them), and
// read once, on first use.
import * as fs from 'fs';
import * as path from 'path';

export interface BundledModel {
  /** Hugging Face id. */
  id: string;
  /** The corpus folder it was generated from. */
  folder?: string;
  /** Where the config comes from: `verbatim`, or how a re-saved or re-indented copy differs (values intact). */
  provenance?: string;
  config: unknown;
  /** Files beside the config (safetensorsIndex, quantizeConfig, ...), keyed like ModelFiles. */
  files?: Record<string, unknown>;
}

/** Where the catalog is: beside the bundle (dist/), or in the source tree when running from out/ (tests). */
function catalogCandidates(): string[] {
  return [
    path.join(__dirname, 'bundled-models.json'),
    path.resolve(__dirname, '..', '..', '..', 'src', 'core', 'bundled-models.json'),
  ];
}

let models: readonly BundledModel[] | undefined;
let loadMessage: string | undefined;

/** The bundled models, read on first use (an unreadable catalog is an empty one, with `bundledCatalogProblem` saying why). */
export function bundledModels(): readonly BundledModel[] {
  if (models) return models;
  for (const file of catalogCandidates()) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    try {
      const parsed = JSON.parse(text) as unknown;
      models = Array.isArray(parsed) ? (parsed as BundledModel[]) : [];
      if (!Array.isArray(parsed)) loadMessage = `${file} is not a list of models`;
    } catch (err) {
      models = [];
      loadMessage = `${file}: ${(err as Error).message}`;
    }
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
