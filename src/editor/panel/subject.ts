// What a roofline panel shows: a deployment of a document, a bundled model, or nothing yet — with the controls the
// user set. Pure of webviews: built from the Analyzer's results (the only place the panel reads them) or from the
// bundled catalog, and saved in workspaceState so that the serializer can restore a panel after a reload.
// No vscode import at run time (unit-tested without VS Code).
import type * as vscode from 'vscode';
import { configInputs, type Settings } from '../../analysis/settings';
import { LIMITS, type PanelControls } from '../../panel/messages';
import { bundledPanelModel, initialControls, mergeControls, type PanelModel } from '../../panel/state';
import { analysisItems, type DocumentAnalysis } from '../../analysis/analyze';
import type { PanelTarget } from '../commands';

export type PanelSubject =
  | {
    kind: 'document';
    uri: string;
    /** Index of the deployment in the document's analysis. */
    index: number;
    label: string;
    model: PanelModel;
    /** The controls as the document states them (the user's own choices are kept apart from them on edits). */
    docControls: PanelControls;
    controls: PanelControls;
  }
  | { kind: 'bundled'; modelId: string; model: PanelModel; controls: PanelControls }
  /** A restored panel with nothing to show yet: `message` says what to do. */
  | { kind: 'empty'; message: string };

/** What workspaceState keeps so that the serializer can bind a restored panel again. */
export interface SavedBinding {
  kind: 'document' | 'bundled';
  uri?: string;
  index?: number;
  modelId?: string;
  controls?: PanelControls;
}

export const BINDING_KEY = 'inferenceBudget.roofline.binding';

const LANGUAGES = ['json', 'jsonc', 'yaml', 'dockercompose', 'helm'];
const SCHEMES = ['file', 'untitled', 'vscode-vfs', 'vscode-remote'];

/** A document the panel may follow: a JSON or YAML text in a scheme the Analyzer reads. */
export function isCandidateDocument(d: vscode.TextDocument): boolean {
  return LANGUAGES.includes(d.languageId) && SCHEMES.includes(d.uri.scheme);
}

/** The first item of an analysis whose model was found (`preferred` when it has one), or -1. */
export function firstModelItem(analysis: DocumentAnalysis | undefined, preferred?: number): number {
  if (!analysis) return -1;
  const items = analysisItems(analysis);
  if (preferred !== undefined && items[preferred]?.files) return preferred;
  return items.findIndex((it) => it.files !== undefined);
}

/** Why an item of an edited document cannot be shown, in words. */
export function whyNotShown(analysis: DocumentAnalysis, index: number): string {
  const item = analysisItems(analysis)[index];
  return item?.resolution && !item.resolution.ok ? 'its model could not be found' : 'no model config or deployment could be read';
}

/** The subject of a command's target (Open Roofline Panel, Compare GPUs): the document's own controls. */
export function targetSubject(target: PanelTarget): PanelSubject {
  const model: PanelModel = { files: target.files, inputs: target.inputs, extraAccelerators: target.extraAccelerators, source: 'document' };
  const docControls = initialControls(model);
  return { kind: 'document', uri: target.uri, index: target.index, label: target.label, model, docControls, controls: docControls };
}

/**
 * The subject of item `index` of an analysis. `refresh` (the same document, new text or settings): the controls the
 * user moved stay, the rest follows the document. Otherwise (another document): its deployment, with the GPUs being
 * compared kept beside its own.
 */
export function analysisSubject(analysis: DocumentAnalysis, index: number, previous: PanelSubject, mode: 'follow' | 'refresh'): PanelSubject {
  const item = analysisItems(analysis)[index];
  if (!item.files) throw new Error(`item ${index} of ${analysis.uri} has no model`);
  const model: PanelModel = { files: item.files, inputs: item.inputs, extraAccelerators: analysis.settings.customGpus, source: 'document' };
  const nextDoc = initialControls(model);
  let controls: PanelControls;
  if (mode === 'refresh' && previous.kind === 'document') {
    controls = mergeControls(previous.controls, previous.docControls, nextDoc);
  } else {
    const others = (previous.kind === 'empty' ? [] : previous.controls.gpus.slice(1)).filter((g) => g !== nextDoc.gpus[0]);
    controls = { ...nextDoc, gpus: [nextDoc.gpus[0], ...others].slice(0, LIMITS.maxComparedGpus) };
  }
  return { kind: 'document', uri: analysis.uri, index, label: item.label, model, docControls: nextDoc, controls };
}

/** A bundled model with the settings' deployment defaults; `controls` (from the user or a saved panel) kept. */
export function bundledSubject(modelId: string, settings: Settings, controls?: PanelControls): PanelSubject | undefined {
  const model = bundledPanelModel(modelId, settings.customGpus, configInputs(settings));
  if (!model) return undefined;
  return { kind: 'bundled', modelId, model, controls: controls ? { ...controls, model: modelId } : initialControls(model) };
}

/** The same subject under new controls (from the webview or the GPU picker). */
export function withControls(subject: PanelSubject, controls: PanelControls): PanelSubject {
  switch (subject.kind) {
    case 'document': {
      const { model: _ignored, ...rest } = controls;
      return { ...subject, controls: rest };
    }
    case 'bundled':
      return { ...subject, controls: { ...controls, model: subject.modelId } };
    case 'empty':
      return subject;
  }
}

/** What workspaceState keeps of a subject (nothing for an empty one). */
export function savedBindingOf(subject: PanelSubject): SavedBinding | undefined {
  switch (subject.kind) {
    case 'document': return { kind: 'document', uri: subject.uri, index: subject.index, controls: subject.controls };
    case 'bundled': return { kind: 'bundled', modelId: subject.modelId, controls: subject.controls };
    case 'empty': return undefined;
  }
}
