// Ollama Modelfiles: `FROM` (a library model, a GGUF file or a safetensors folder) and the `PARAMETER`s that size
// memory: num_ctx (the context of each request), num_gpu (layers on the GPU), num_batch (the micro-batch).
// Instructions are case-insensitive; `"""` strings (TEMPLATE, SYSTEM) may span lines.
import type { DeploymentSpec, FormatProblem, InputKey, SourceRange } from './types';
import { SpecBuilder, eolOf, lineEnd, setModelOf, setValue } from './common';
import { keyedTable } from '../core/keyedTable';

/** `Modelfile`, `Modelfile.qwen`, `qwen.Modelfile` (any case). */
export function isModelfileName(fileName: string): boolean {
  const base = fileName.slice(Math.max(fileName.lastIndexOf('/'), fileName.lastIndexOf('\\')) + 1);
  return /(^|\.)modelfile(\.|$)/i.test(base);
}

/** PARAMETERs read, per input (Ollama's api.Options names). */
const PARAMETERS: Readonly<Record<string, InputKey>> = keyedTable({ num_ctx: 'maxModelLen', num_gpu: 'gpuLayers', num_batch: 'ubatch' });

interface Line { instruction: string; start: number; end: number; argStart: number; arg: string }

/** The instructions of a Modelfile with where each argument starts (a `"""` argument runs to its closing quotes). */
function instructions(text: string): Line[] {
  const out: Line[] = [];
  let pos = 0;
  while (pos < text.length) {
    const end = lineEnd(text, pos);
    const line = text.slice(pos, end);
    const m = /^\s*([A-Za-z]+)[ \t]+(\S.*?)\s*$/.exec(line);
    const next = text.indexOf('\n', end);
    let stop = next < 0 ? text.length : next + 1;
    if (m && !line.trimStart().startsWith('#')) {
      const argStart = pos + line.indexOf(m[2], m[1].length + line.indexOf(m[1]));
      let arg = m[2];
      let argEnd = pos + line.length - (line.length - line.trimEnd().length);
      if (arg.startsWith('"""') && (arg.length < 6 || !arg.endsWith('"""'))) {
        const close = text.indexOf('"""', argStart + 3);
        argEnd = close < 0 ? text.length : close + 3;
        arg = text.slice(argStart, argEnd);
        const after = text.indexOf('\n', argEnd);
        stop = after < 0 ? text.length : after + 1;
      }
      out.push({ instruction: m[1].toUpperCase(), start: pos, end: argEnd, argStart, arg });
    }
    pos = stop;
  }
  return out;
}

export function readModelfile(text: string, problems: FormatProblem[], out: DeploymentSpec[]): void {
  const lines = instructions(text);
  const from = lines.find((l) => l.instruction === 'FROM');
  if (!from) return;
  const b = new SpecBuilder(text, problems);
  b.inputs.engine = 'ollama';
  const quoted = /^(["'])(.*)\1$/.exec(from.arg);
  const name = quoted ? quoted[2] : from.arg;
  const nameStart = from.argStart + (quoted ? 1 : 0);
  setModelOf(b, 'ollama', name, { start: nameStart, end: nameStart + name.length });
  let lastParameter: Line | undefined;
  for (const l of lines) {
    if (l.instruction === 'ADAPTER') b.noteUnread('ADAPTER', { start: l.start, end: l.start + 'ADAPTER'.length });
    if (l.instruction !== 'PARAMETER') continue;
    lastParameter = l;
    const m = /^(\S+)\s+(\S+)/.exec(l.arg);
    if (!m) continue;
    const key = PARAMETERS[m[1].toLowerCase()];
    if (!key) continue;
    const keyRange: SourceRange = { start: l.argStart, end: l.argStart + m[1].length };
    const valueStart = l.argStart + l.arg.indexOf(m[2], m[1].length);
    const valueRange: SourceRange = { start: valueStart, end: valueStart + m[2].length };
    setValue(b, 'ollama', key, m[2], `PARAMETER ${m[1]}`, valueRange, keyRange, [{ range: valueRange, context: 'word', exact: true }]);
  }
  // New parameters go on lines of their own after the last one (or after FROM).
  const after = lastParameter ?? from;
  const at = lineEnd(text, after.end);
  for (const [parameter, key] of Object.entries(PARAMETERS)) b.offer(key, { type: 'line', at, eol: eolOf(text), prefix: `PARAMETER ${parameter} ` });
  b.span = { start: 0, end: text.length };
  out.push(b.build('modelfile', 'ollama', `Modelfile · ${name}`, { start: from.start, end: from.end }));
}
