// Helpers shared by the reader tests: example files, range slicing, applying edits.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { applyEdit, SourceRange, TextEdit } from '../../../src/formats';

export const ROOT = path.resolve(__dirname, '../../../..');
export const EXAMPLES = path.join(ROOT, 'examples/deployments');

export const read = (name: string): string => fs.readFileSync(path.join(EXAMPLES, name), 'utf8');

export const slice = (text: string, r: SourceRange | undefined): string | undefined => (r ? text.slice(r.start, r.end) : undefined);

export const apply = (text: string, e: TextEdit | undefined): string => {
  assert.ok(e, 'expected an edit');
  return applyEdit(text, e);
};

/** `text` with the one occurrence of `from` replaced by `to` (fails when not exactly one). */
export const replaceOnce = (text: string, from: string, to: string): string => {
  const i = text.indexOf(from);
  assert.ok(i >= 0 && text.indexOf(from, i + 1) < 0, `"${from}" must occur once`);
  return text.slice(0, i) + to + text.slice(i + from.length);
};

/** A Kubernetes Deployment around container items (indented as list items under `containers:`), with pod-spec lines before them. */
export const k8sDeployment = (container: string, podExtra = ''): string => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: llm
spec:
  template:
    spec:
${podExtra}      containers:
${container}`;
