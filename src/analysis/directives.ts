// `# inference-budget: model=org/name gpu=H100 gpus=8`: a comment that says what a file cannot (the model
// behind a mount path or a template, the accelerator of a node pool). It applies to the deployment it sits in,
// else to the first deployment after it ("on or above the deployment").
import type { DeploymentSpec, SourceRange } from '../formats/types';

const MARK = 'inference-budget:';

export interface DirectiveValue { value: string; key: SourceRange; range: SourceRange }

export interface Directive {
  /** Offset of the comment. */
  at: number;
  model?: DirectiveValue;
  gpu?: DirectiveValue;
  gpus?: DirectiveValue;
}

/** The directives of a text (comments starting `# inference-budget:`), in order. Cheap when there are none. */
export function findDirectives(text: string): Directive[] {
  const out: Directive[] = [];
  for (let i = text.indexOf(MARK); i >= 0; i = text.indexOf(MARK, i + MARK.length)) {
    const lineStart = Math.max(text.lastIndexOf('\n', i), text.lastIndexOf('\r', i)) + 1;
    const hash = text.lastIndexOf('#', i);
    // A comment: `#`, then only spaces up to the mark, and the `#` starts the line or follows a space.
    if (hash < lineStart || text.slice(hash + 1, i).trim() !== '' || (hash > lineStart && !/\s/.test(text[hash - 1]))) continue;
    let end = i + MARK.length;
    while (end < text.length && text[end] !== '\n' && text[end] !== '\r') end++;
    const d: Directive = { at: hash };
    // key=value, key="value with spaces" or key='...'.
    const re = /(\w+)=(?:"([^"]*)"|'([^']*)'|(\S+))/g;
    const body = text.slice(i + MARK.length, end);
    const base = i + MARK.length;
    let m: RegExpExecArray | null;
    while ((m = re.exec(body))) {
      const key = m[1].toLowerCase();
      if (key !== 'model' && key !== 'gpu' && key !== 'gpus') continue;
      const value = m[2] ?? m[3] ?? m[4];
      const valueStart = base + m.index + m[1].length + 1 + (m[4] === undefined ? 1 : 0);
      d[key] = { value, key: { start: base + m.index, end: base + m.index + m[1].length }, range: { start: valueStart, end: valueStart + value.length } };
    }
    if (d.model || d.gpu || d.gpus) out.push(d);
  }
  return out;
}

/** The directive that applies to each deployment (index-aligned; undefined where none). */
export function directivesFor(text: string, specs: readonly DeploymentSpec[], directives: readonly Directive[]): (Directive | undefined)[] {
  const out: (Directive | undefined)[] = specs.map(() => undefined);
  // A deployment's text runs to the end of its last line (a comment after its last value is in it).
  const extent = (s: DeploymentSpec): SourceRange => {
    const r = s.span ?? s.anchor;
    let end = r.end;
    while (end < text.length && text[end] !== '\n' && text[end] !== '\r') end++;
    return { start: r.start, end };
  };
  for (const d of directives) {
    let target = specs.findIndex((s) => d.at >= extent(s).start && d.at < extent(s).end);
    if (target < 0) {
      // Above a deployment: the nearest one that starts after the comment.
      let best = -1;
      specs.forEach((s, k) => { if (extent(s).start > d.at && (best < 0 || extent(s).start < extent(specs[best]).start)) best = k; });
      target = best;
    }
    if (target >= 0) out[target] = { ...out[target], ...d, at: d.at };
  }
  return out;
}

/**
 * The comment line that names a deployment's model, inserted above the deployment's first line with that line's
 * indentation (so it applies to this deployment and no other).
 */
export function directiveInsertion(text: string, spec: DeploymentSpec, modelId: string): { at: number; newText: string } {
  const start = (spec.span ?? spec.anchor).start;
  const lineStart = Math.max(text.lastIndexOf('\n', start - 1), text.lastIndexOf('\r', start - 1)) + 1;
  const indent = /^[ \t]*/.exec(text.slice(lineStart, start))![0];
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const value = /\s/.test(modelId) ? `"${modelId.replace(/"/g, '')}"` : modelId;
  return { at: lineStart, newText: `${indent}# inference-budget: model=${value}${eol}` };
}
