// The models bundled with the extension (generated from the config corpus into src/core/bundled-models.json).
import catalog from '../core/bundled-models.json';

export interface BundledModel {
  /** Hugging Face id. */
  id: string;
  config: unknown;
  /** Files beside the config (safetensorsIndex, quantizeConfig, ...), keyed like ModelFiles. */
  files?: Record<string, unknown>;
}

const models = catalog as unknown as BundledModel[];

export function bundledModels(): readonly BundledModel[] {
  return models;
}
