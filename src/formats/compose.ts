// docker-compose files: `services:` running vLLM, SGLang, TGI, llama.cpp's llama-server or Ollama.
import type { DeploymentSpec, FormatProblem, ServingEngine, SourceRange } from './types';
import {
  SpecBuilder, applyArgs, applyEnvEntry, applyImage, commandsOf, eolOf, findCommand, flagInsertions, indentOf, ollamaContext, ollamaModelIn, scalarRaw, scalarTarget,
} from './common';
import { envTable, imageEntrypoint } from './engines';
import type { Word } from './shell';
import { VarLookup, expandComposeWord, valueAt } from './variables';
import { YMap, YNode, YScalar, get, getMap, getScalar, getSeq, innerRange, isMap, isScalar, isSeq, pairOf } from './yaml';

export function looksLikeCompose(root: YNode | null): root is YMap {
  return isMap(root) && isMap(get(root, 'services')) && !get(root, 'apiVersion');
}

/**
 * Reads the services. `dotEnv` holds the variables of the .env file beside the compose file: Compose fills
 * `${VAR}`, `${VAR:-default}` and `${VAR-default}` from it (and from the shell, which a file cannot know).
 */
export function readCompose(text: string, root: YMap, problems: FormatProblem[], out: DeploymentSpec[], dotEnv?: ReadonlyMap<string, string>): void {
  const services = getMap(root, 'services');
  if (!services) return;
  const lookup: VarLookup = (name, at) => {
    const v = dotEnv?.get(name);
    // A reference at the very end of a block scalar can map past the text: keep ranges inside it.
    return v === undefined ? undefined : valueAt(v, { start: Math.min(at.start, text.length), end: Math.min(at.end, text.length) });
  };
  const expand = (w: Word): Word => expandComposeWord(w, lookup);
  for (const p of services.pairs) {
    if (p.key.value === '<<') continue;
    const svc = p.value;
    if (!isMap(svc)) continue;
    const imageNode = getScalar(svc, 'image');
    // `image: ${IMAGE:-ghcr.io/ggml-org/llama.cpp:server-cuda}`: the image Compose runs, with the file's variables.
    const image = imageNode ? interpolated(text, imageNode.value, innerRange(text, imageNode), lookup) : undefined;
    const entrypoint = get(svc, 'entrypoint');
    const command = get(svc, 'command');
    // A service built from an engine's image (`build.args: [BASE_IMAGE=vllm/vllm-openai:latest]`) runs that engine.
    const base = imageNode ? undefined : baseImageArg(svc);
    const runs = image ?? imageNode?.value ?? base?.image;
    let inv = findCommand(text, [entrypoint, command], runs, { imageDefault: !entrypoint, expand });
    // The engine's image started by a script the file mounts (`entrypoint: [bash, -c]`, `command: [/serve.sh]`):
    // the engine is known, its flags are in the script.
    const script = inv ? undefined : launchScriptOf(text, [entrypoint, command], runs);
    if (!inv && script) inv = { engine: script.engine, all: [], args: [], positionalModel: false };
    if (!inv) continue;
    const b = new SpecBuilder(text, problems);
    if (imageNode) applyImage(b, inv.engine, imageNode, pairOf(svc, 'image')?.key, image);
    else if (base) applyImage(b, inv.engine, base.node, undefined, base.image);
    else b.inputs.engine = inv.engine;
    if (envTable(inv.engine)) engineEnvironment(b, inv.engine, get(svc, 'environment'), lookup);
    const applied = applyArgs(b, inv);
    if (inv.engine === 'ollama') {
      ollamaModelIn(b, commandsOf(text, [entrypoint, command], expand));
      ollamaContext(b);
    } else flagInsertions(b, inv, applied.parsed, entrypoint ? undefined : { map: svc, key: 'command', quoteValues: true });
    gpus(b, svc);
    b.span = { start: p.key.start, end: svc.end };
    const spec = b.build('docker-compose', inv.engine, `service ${p.key.value}`, innerRange(text, p.key));
    if (script) spec.launchScript = { path: script.path, range: script.range };
    out.push(spec);
  }
}

/** The base image a service's build is given (`args: [BASE_IMAGE=…]` or `args: {BASE_IMAGE: …}`), when it names an engine's image. */
function baseImageArg(svc: YMap): { image: string; node: YScalar } | undefined {
  const args = get(getMap(svc, 'build') ?? undefined, 'args');
  const candidates: { value: string; node: YScalar }[] = [];
  if (isSeq(args)) {
    for (const item of args.items) {
      const m = isScalar(item) ? /^\s*[A-Za-z_][\w]*\s*=\s*(\S+)\s*$/.exec(item.value) : null;
      if (m && isScalar(item)) candidates.push({ value: m[1], node: item });
    }
  } else if (isMap(args)) {
    for (const pair of args.pairs) if (isScalar(pair.value)) candidates.push({ value: pair.value.value, node: pair.value });
  }
  const found = candidates.find((c) => engineInImage(c.value) !== undefined);
  return found ? { image: found.value, node: found.node } : undefined;
}

/** The engine an image carries, whatever it starts by default (SGLang's images start a shell). */
function engineInImage(image: string | undefined): ServingEngine | undefined {
  return imageEntrypoint(image)?.engine ?? (image && /(^|\/)sglang([:@]|$)/i.test(image) ? 'sglang' : undefined);
}

/** `command: ["/serve.sh"]` (after `entrypoint: [bash, -c]` or alone) in an engine's image: the script that starts it. */
function launchScriptOf(text: string, parts: (YNode | null | undefined)[], image: string | undefined): { engine: ServingEngine; path: string; range: SourceRange } | undefined {
  const engine = engineInImage(image);
  if (!engine) return undefined;
  for (const part of parts) {
    const items = isSeq(part) ? part.items : isScalar(part) ? [part] : [];
    for (const item of items) {
      if (isScalar(item) && /^(\.{0,2}\/)?[\w./-]*\.(sh|bash)$/.test(item.value.trim())) return { engine, path: item.value.trim(), range: innerRange(text, item) };
    }
  }
  return undefined;
}

/** A scalar's value with Compose variables filled in; undefined when it has none to fill. */
function interpolated(text: string, value: string, range: { start: number; end: number }, lookup: VarLookup): string | undefined {
  if (!value.includes('$')) return undefined;
  const w = expandComposeWord({ text: value, idx: range.start, rawStart: range.start, rawEnd: range.end }, lookup);
  return w.text === value ? undefined : w.text;
}

/** The engine's settings from a service's `environment` (a map, or `NAME=value` items). */
function engineEnvironment(b: SpecBuilder, engine: ServingEngine, env: YNode | null | undefined, lookup: VarLookup): void {
  const text = b.text;
  const table = envTable(engine) ?? {};
  if (isMap(env)) {
    for (const p of env.pairs) {
      if (!isScalar(p.value)) continue;
      const range = innerRange(text, p.value);
      const filled = interpolated(text, p.value.value, range, lookup);
      const model = table[p.key.value] === 'model';
      applyEnvEntry(b, engine, p.key.value, filled ?? (model ? p.value.value : scalarRaw(p.value)), range, innerRange(text, p.key),
        filled !== undefined ? undefined : [scalarTarget(text, p.value, false)]);
    }
  } else if (isSeq(env)) {
    for (const it of env.items) {
      if (!isScalar(it)) continue;
      const eq = it.value.indexOf('=');
      if (eq <= 0) continue;
      const name = it.value.slice(0, eq);
      const inner = innerRange(text, it);
      const single = it.value === text.slice(inner.start, inner.end);
      const range = single ? { start: inner.start + eq + 1, end: inner.end } : inner;
      const keyRange = single ? { start: inner.start, end: inner.start + eq } : inner;
      const written = it.value.slice(eq + 1);
      const filled = interpolated(text, written, range, lookup);
      applyEnvEntry(b, engine, name, filled ?? written, range, keyRange, filled === undefined ? [{ range, context: 'word', exact: single }] : undefined);
    }
  }
}

function gpus(b: SpecBuilder, svc: YMap): void {
  const text = b.text;
  const devices = getSeq(svc, 'deploy', 'resources', 'reservations', 'devices');
  if (!devices) return;
  for (const d of devices.items) {
    if (!isMap(d)) continue;
    const caps = get(d, 'capabilities');
    const driver = getScalar(d, 'driver')?.value;
    const isGpu = driver === 'nvidia' || driver === 'amd' || (isSeq(caps) && caps.items.some((c) => isScalar(c) && c.value === 'gpu'));
    if (!isGpu) continue;
    const countPair = pairOf(d, 'count');
    if (countPair && isScalar(countPair.value)) {
      const v = countPair.value;
      const range = innerRange(text, v);
      if (v.value === 'all') {
        b.problems.push({ severity: 'information', range, message: 'count: all gives the service every GPU of the host; the GPU count is not known here.' });
        b.valueRanges.gpuCount = range;
        b.keyRanges.gpuCount = innerRange(text, countPair.key);
        b.edit.inPlace.gpuCount = { targets: [scalarTarget(text, v, false)] };
        return;
      }
      b.set('gpuCount', scalarRaw(v), 'count', range, innerRange(text, countPair.key), [scalarTarget(text, v, false)]);
      return;
    }
    const ids = getSeq(d, 'device_ids');
    if (ids && ids.items.length > 0) {
      b.inputs.gpuCount = ids.items.length;
      b.valueRanges.gpuCount = { start: ids.start, end: ids.end };
      const k = pairOf(d, 'device_ids');
      if (k) b.keyRanges.gpuCount = innerRange(text, k.key);
      // A fix that changes the GPU count writes the ids 0 … N-1 in the list's style (flow or block, quotes kept).
      if (ids.items.every(isScalar)) {
        const style = (ids.items[0] as YScalar).style;
        const quote = style === 'double' ? '"' : style === 'single' ? "'" : '';
        b.edit.inPlace.gpuCount = {
          targets: [{ range: { start: ids.start, end: ids.end }, context: 'yaml-plain', exact: true }],
          deviceIds: { flow: ids.flow, indent: indentOf(text, ids.start), eol: eolOf(text), quote },
        };
      }
      return;
    }
  }
}
