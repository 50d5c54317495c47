// What a roofline panel shows (src/editor/panel/subject.ts), without VS Code: subjects from command targets and
// analyses, the user's controls kept across edits and documents, what is saved for a restore.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { settingsFromValues } from '../../../src/analysis/settings';
import type { DocumentAnalysis } from '../../../src/editor/analysis';
import type { PanelTarget } from '../../../src/editor/commands';
import {
  analysisSubject, bundledSubject, firstModelItem, type PanelSubject, savedBindingOf, targetSubject, withControls,
} from '../../../src/editor/panel/subject';
import { ROOT } from './helpers';

const LLAMA = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples/models/Llama-3.1-8B/config.json'), 'utf8'));
const settings = settingsFromValues(() => undefined, true);

function target(over: Partial<PanelTarget> = {}): PanelTarget {
  return { uri: 'file:///w/llama.yaml', index: 0, label: 'llama', files: { config: LLAMA }, inputs: { gpu: 'H100', context: 4096 }, extraAccelerators: [], ...over };
}

function analysis(inputs: PanelTarget['inputs'], uri = 'file:///w/llama.yaml'): DocumentAnalysis {
  const anchor = { start: 0, end: 0 };
  const notSized = { reason: 'x', summary: 'x', range: anchor };
  // Only the fields the panel reads: no spec (the deployment as read) is needed here.
  return {
    uri, version: 1, text: '', kind: 'deployments', documentKind: 'kubernetes', problems: [], settings,
    items: [
      { label: 'no model', inputs: {}, anchor, status: 'not-sized', notSized: { ...notSized, code: 'model-not-named' } },
      // A model found, on an accelerator the catalog lacks: not sized, but the panel can show the model.
      { label: 'llama', inputs, files: { config: LLAMA }, anchor, status: 'not-sized', notSized: { ...notSized, code: 'accelerator-not-in-catalog' } },
    ],
  } as unknown as DocumentAnalysis;
}

describe('panel subject (src/editor/panel/subject.ts)', () => {
  it('a command target: the document’s own deployment as the controls', () => {
    const s = targetSubject(target());
    assert.equal(s.kind, 'document');
    if (s.kind !== 'document') return;
    assert.deepEqual(s.controls.gpus, ['h100-sxm']);
    assert.equal(s.controls.context, 4096);
    assert.equal(s.controls, s.docControls);
  });

  it('the first item with a model, or the preferred one', () => {
    const a = analysis({ gpu: 'H100' });
    assert.equal(firstModelItem(a), 1);
    assert.equal(firstModelItem(a, 1), 1);
    assert.equal(firstModelItem(a, 0), 1, 'item 0 has no model');
    assert.equal(firstModelItem(undefined), -1);
  });

  it('an edit (refresh) keeps what the user moved; the rest follows the document', () => {
    const first = targetSubject(target());
    assert.equal(first.kind, 'document');
    if (first.kind !== 'document') return;
    const moved = withControls(first, { ...first.controls, batch: 64, model: 'ignored' });
    assert.equal(moved.kind === 'document' && moved.controls.batch, 64);
    assert.equal(moved.kind === 'document' && moved.controls.model, undefined, 'a document panel has no model control');
    const next = analysisSubject(analysis({ gpu: 'H100', context: 8192 }), 1, moved, 'refresh');
    assert.equal(next.kind, 'document');
    if (next.kind !== 'document') return;
    assert.equal(next.controls.batch, 64, 'the user’s batch');
    assert.equal(next.controls.context, 8192, 'the document’s new context');
    assert.equal(next.index, 1);
  });

  it('another document (follow): its deployment, the compared GPUs kept beside its own', () => {
    const first = targetSubject(target());
    const compared = withControls(first, { ...(first as Extract<PanelSubject, { kind: 'document' }>).controls, gpus: ['h100-sxm', 'h200'] });
    const next = analysisSubject(analysis({ gpu: 'L4' }, 'file:///w/other.yaml'), 1, compared, 'follow');
    assert.equal(next.kind === 'document' && next.uri, 'file:///w/other.yaml');
    assert.deepEqual(next.kind === 'document' && next.controls.gpus, ['l4', 'h200']);
  });

  it('bundled models keep their id in the controls; saved bindings', () => {
    const b = bundledSubject('Qwen/Qwen3-8B', settings);
    assert.ok(b && b.kind === 'bundled');
    assert.equal(b.controls.model, 'Qwen/Qwen3-8B');
    assert.equal(bundledSubject('no/such-model', settings), undefined);
    const switched = withControls(b, { ...b.controls, batch: 4, model: 'other' });
    assert.equal(switched.kind === 'bundled' && switched.controls.model, 'Qwen/Qwen3-8B');
    assert.deepEqual(savedBindingOf(switched), { kind: 'bundled', modelId: 'Qwen/Qwen3-8B', controls: { ...b.controls, batch: 4 } });
    const d = targetSubject(target());
    assert.deepEqual(savedBindingOf(d), { kind: 'document', uri: 'file:///w/llama.yaml', index: 0, controls: (d as Extract<PanelSubject, { kind: 'document' }>).controls });
    assert.equal(savedBindingOf({ kind: 'empty', message: 'x' }), undefined);
  });
});
