// What the bench's "2 MB manifest" rows spend their time on, part by part (not in `npm run bench`'s table):
//   node scripts/bench/run.js --profile [--phases] [--engine-split] [--workspace] [--reps N] [--models N] [--no-ws] [--no-engine]
// run.js bundles this file like the bench (esbuild, `vscode` aliased to vscodeShim.ts) and runs it; for a CPU
// profile, run the bundle it leaves under node: `node --cpu-prof bench-results/.build/profileManifest.js --phases`.
//   --phases        each run with a fresh resolver (the workspace's configs read first, as at activation): the
//                   readers, model resolution and the engine apart, wall and process CPU, and the resolver's file
//                   operations (--no-ws: no workspace folder; --no-engine: resolution only)
//   --engine-split  computeBudget over every deployment, split into the work done once per model (normalisation,
//                   quantization scheme, weight tables: memoised per ModelFiles object) and per deployment
//   --workspace     the bench's "cold, with a workspace to search" row itself (the index read timed apart)
//   --models N      the same manifest naming only the first N catalog models: how the rows scale with models
//   --cold [--gc-each]  the bench's "cold" row itself (fresh resolver and Analyzer, no workspace, diagnostics built),
//                   wall and process CPU per run after two warm-up runs, and what one analysis keeps alive; with
//                   --gc-each a full collection before each run, as the bench does: the run to take a CPU profile of
//   --alloc [--live]         what the cold first analysis (fresh resolver and Analyzer, no workspace) allocates, by function:
//                   V8's sampling heap profiler with collected objects kept, over --reps runs after two warm-up runs
// Prints what it measured, then one line `JSON {...}` of the medians (for scripts comparing builds).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { performance } from 'perf_hooks';
import { computeBudget } from '../../src/core/budget';
import { analysisItems, Analyzer, engineOptions } from '../../src/editor/analysis';
import { buildDiagnostics } from '../../src/editor/diagnostics';
import { ModelResolver } from '../../src/editor/modelResolver';
import { readSettings } from '../../src/editor/settings';
import { deploymentInputs } from '../../src/analysis/settings';
import { parseDocument } from '../../src/formats';
import { bigManifest, bundledIds, corpusConfigs, makeHostWorkspace } from './generate';
import { getGc, summarize } from './stats';
import * as shim from './vscodeShim';

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(name);
const value = (name: string, fallback: number) => (flag(name) ? Number(argv[argv.indexOf(name) + 1]) : fallback);
const reps = value('--reps', 10);
const CORPUS_DIR = process.env.INFERENCE_BUDGET_CORPUS || '/work/shared/model-configs';
const asDoc = (d: shim.ShimTextDocument) => d as unknown as import('vscode').TextDocument;
const lg = { info() {}, warn() {}, error(m: string) { console.error(m); } };
const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const medians: Record<string, number> = {};

/** A resolver that counts its host's file operations (stat, list, readText) and the characters read. */
class CountingResolver extends ModelResolver {
  readonly calls: Record<string, number> = {};
  chars = 0;
  count(): this {
    const host = this.host;
    const wrap = <K extends 'stat' | 'list' | 'readText'>(k: K) => {
      const f = host[k].bind(host) as (u: import('vscode').Uri) => Promise<unknown>;
      (host as unknown as Record<K, (u: import('vscode').Uri) => Promise<unknown>>)[k] = async (u) => {
        this.calls[k] = (this.calls[k] ?? 0) + 1;
        const v = await f(u);
        if (k === 'readText') this.chars += (v as string).length;
        return v;
      };
    };
    wrap('stat'); wrap('list'); wrap('readText');
    return this;
  }
}

/** The bench's manifest, naming only the first `n` catalog models when asked (each model mapped onto one of them). */
function manifestWith(n: number | undefined): string {
  const manifest = bigManifest(process.cwd());
  if (!n) return manifest;
  const ids = bundledIds(process.cwd());
  const to = new Map(ids.map((id, i) => [id, ids[i % n]]));
  // Longest first: an id that is the prefix of another is not matched inside it.
  const names = [...ids].sort((a, b) => b.length - a.length).map((id) => id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return manifest.replace(new RegExp(`(?<=[\\s"'])(${names.join('|')})(?=[\\s"'])`, 'g'), (m) => to.get(m) ?? m);
}

async function main(): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ib-profile-'));
  try {
    const hf = path.join(tmp, 'hf-home');
    fs.mkdirSync(hf, { recursive: true });
    // As the bench: no Hugging Face cache, no hub.
    const env = { HF_HOME: hf, HF_HUB_CACHE: '', HF_ENDPOINT: 'http://127.0.0.1:9', HF_TOKEN: '' };
    const manifest = manifestWith(flag('--models') ? value('--models', 0) : undefined);
    const corpus = corpusConfigs(CORPUS_DIR);
    const ws = makeHostWorkspace(CORPUS_DIR, corpus, manifest, path.join(tmp, 'host-ws'));
    const uri = shim.Uri.file(path.join(tmp, 'bench-2mb.yaml'));
    const settings = readSettings();
    // The document is made before the clock starts, as the bench does (an editor's document has its lines already).
    const full = async (analyzer: Analyzer, doc = new shim.ShimTextDocument(uri, 'yaml', manifest, 1)) => {
      const a = await analyzer.analyze(asDoc(doc));
      if (!a) throw new Error('the analysis failed');
      buildDiagnostics(asDoc(doc), a);
      return a;
    };

    if (flag('--engine-split')) {
      shim.__setWorkspaceFolder(undefined);
      const analyzer = new Analyzer(new ModelResolver(lg, env), lg);
      const items = analysisItems(await full(analyzer)).filter((i) => i.files);
      const opts = engineOptions(analyzer.currentSettings);
      const both: number[] = [];
      const perDeployment: number[] = [];
      for (let r = 0; r < reps; r++) {
        // Fresh ModelFiles copies pay both parts; the same copies again with the utilisation nudged (no result
        // memo hit) pay only the per-deployment part.
        const copies = items.map((it) => ({ files: { ...it.files! }, inputs: it.inputs }));
        let c = cpuMs();
        for (const it of copies) computeBudget(it.files, it.inputs, opts);
        both.push(cpuMs() - c);
        c = cpuMs();
        for (const it of copies) computeBudget(it.files, { ...it.inputs, gpuMemoryUtilization: 0.5 + r / 1000 }, opts);
        perDeployment.push(cpuMs() - c);
      }
      medians['engine uncached cpu'] = summarize(both).p50;
      medians['engine per-deployment cpu'] = summarize(perDeployment).p50;
      console.log(`engine over ${items.length} deployments of ${new Set(items.map((i) => i.files)).size} models: uncached ${summarize(both).p50.toFixed(1)} ms CPU, of which per deployment ${summarize(perDeployment).p50.toFixed(1)} ms`);
    }

    if (flag('--phases')) {
      shim.__setWorkspaceFolder(flag('--no-ws') ? undefined : ws.root);
      const rows: Record<string, number[]> = {};
      const add = (k: string, v: number) => (rows[k] ??= []).push(v);
      const opts = engineOptions(settings);
      for (let r = 0; r < reps; r++) {
        const resolver = new CountingResolver(lg, env);
        await resolver.indexWorkspace(settings.maxDocuments);
        let c = cpuMs();
        let t = performance.now();
        const named = parseDocument(uri.path, manifest).deployments.filter((d) => d.model);
        add('parse wall', performance.now() - t); add('parse cpu', cpuMs() - c);
        resolver.count();
        c = cpuMs();
        t = performance.now();
        const res = await Promise.all(resolver.resolveAll(named.map((d) => d.model!.name), uri as unknown as import('vscode').Uri, settings));
        add('resolve wall', performance.now() - t); add('resolve cpu', cpuMs() - c);
        c = cpuMs();
        t = performance.now();
        if (!flag('--no-engine')) for (const [i, d] of named.entries()) { const x = res[i]; if (x.ok) computeBudget(x.model.files, deploymentInputs(settings, d.inputs), opts); }
        add('engine wall', performance.now() - t); add('engine cpu', cpuMs() - c);
        if (r > 0) continue;
        const found = res.flatMap((x) => (x.ok ? [x.model] : []));
        const sources: Record<string, number> = {};
        for (const x of res) { const k = x.ok ? x.model.source : 'not found'; sources[k] = (sources[k] ?? 0) + 1; }
        console.log(`${named.length} deployments naming ${new Set(named.map((d) => d.model!.name)).size} models; found ${found.length} (${JSON.stringify(sources)}) at ${new Set(found.map((m) => m.location)).size} locations, ${new Set(found.map((m) => m.files)).size} ModelFiles objects`);
        console.log(`the resolution's file operations: ${JSON.stringify(resolver.calls)}, ${resolver.chars.toLocaleString('en-US')} characters read`);
      }
      for (const [k, xs] of Object.entries(rows)) {
        const s = summarize(xs);
        console.log(`${k.padEnd(14)} p50 ${s.p50.toFixed(1)} ms, min ${s.min.toFixed(1)} ms`);
        medians[k] = s.p50;
      }
    }

    if (flag('--cold')) {
      shim.__setWorkspaceFolder(undefined);
      const wall: number[] = [];
      const cpu: number[] = [];
      // What one analysis keeps alive (its result and the memos it filled), measured before the timed runs: the heap
      // after a full collection, with and without it.
      const gc = getGc();
      if (gc) {
        gc();
        const before = process.memoryUsage().heapUsed;
        const analyzer = new Analyzer(new ModelResolver(lg, env), lg);
        const kept = [analyzer, await full(analyzer)];
        gc();
        medians['retained MB'] = (process.memoryUsage().heapUsed - before) / 1e6;
        console.log(`one cold analysis keeps ${medians['retained MB'].toFixed(1)} MB alive (its Analyzer and result: ${kept.length})`);
      }
      for (let r = -2; r < reps; r++) {
        // --gc-each, as the bench: a full collection before each run (the young generation then starts small).
        if (flag('--gc-each')) gc?.();
        const doc = new shim.ShimTextDocument(uri, 'yaml', manifest, 1);
        const c0 = cpuMs();
        const t0 = performance.now();
        await full(new Analyzer(new ModelResolver(lg, env), lg), doc);
        if (r < 0) continue;
        wall.push(performance.now() - t0);
        cpu.push(cpuMs() - c0);
      }
      medians['cold wall'] = summarize(wall).p50;
      medians['cold cpu'] = summarize(cpu).p50;
      console.log(`cold ${summarize(wall).p50.toFixed(1)} ms (min ${summarize(wall).min.toFixed(1)}), process CPU ${summarize(cpu).p50.toFixed(1)} ms`);
    }

    if (flag('--alloc')) await allocationByFunction(() => full(new Analyzer(new ModelResolver(lg, env), lg)));

    if (flag('--workspace')) {
      shim.__setWorkspaceFolder(ws.root);
      const index: number[] = [];
      const wall: number[] = [];
      const cpu: number[] = [];
      for (let r = 0; r < reps; r++) {
        const resolver = new ModelResolver(lg, env);
        const i0 = performance.now();
        await resolver.indexWorkspace(settings.maxDocuments);
        const i1 = performance.now();
        const c0 = cpuMs();
        await full(new Analyzer(resolver, lg));
        cpu.push(cpuMs() - c0);
        wall.push(performance.now() - i1);
        index.push(i1 - i0);
      }
      medians['index wall'] = summarize(index).p50;
      medians['cold with workspace wall'] = summarize(wall).p50;
      medians['cold with workspace cpu'] = summarize(cpu).p50;
      console.log(`workspace index ${summarize(index).p50.toFixed(1)} ms; cold with the workspace ${summarize(wall).p50.toFixed(1)} ms (${wall.map((x) => x.toFixed(0)).join(', ')}), process CPU ${summarize(cpu).p50.toFixed(1)} ms`);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  console.log(`JSON ${JSON.stringify(medians)}`);
}

/** Bytes allocated per run by each function (self), from V8's sampling heap profiler, collected objects included. */
async function allocationByFunction(run: () => Promise<unknown>): Promise<void> {
  shim.__setWorkspaceFolder(undefined);
  for (let i = 0; i < 2; i++) await run();
  const inspector = await import('inspector');
  const session = new inspector.Session();
  session.connect();
  const post = <T>(method: string, params?: object) => new Promise<T>((resolve, reject) => session.post(method, params ?? {}, (e, r) => (e ? reject(e) : resolve(r as T))));
  // --live: only what is still alive at the end of one run (held by its result and the memos), not what it allocated.
  const live = flag('--live');
  await post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: !live, includeObjectsCollectedByMinorGC: !live });
  const runs = live ? 1 : reps;
  const kept: unknown[] = [];
  for (let r = 0; r < runs; r++) kept.push(await run());
  interface Node { callFrame: { functionName: string; url: string; lineNumber: number }; selfSize: number; children: Node[] }
  const { profile } = await post<{ profile: { head: Node } }>('HeapProfiler.stopSampling');
  session.disconnect();
  const bySelf = new Map<string, number>();
  const walk = (n: Node, stack: string) => {
    const here = `${n.callFrame.functionName || '(anonymous)'}:${n.callFrame.lineNumber + 1}`;
    bySelf.set(here, (bySelf.get(here) ?? 0) + n.selfSize);
    for (const c of n.children) walk(c, here);
  };
  walk(profile.head, '');
  const total = [...bySelf.values()].reduce((a, b) => a + b, 0);
  console.log(`${live ? 'alive after' : 'allocated per'} run ${(total / runs / 1e6).toFixed(1)} MB (sampled, ${kept.length} results held); by function (line in the bundle), MB per run:`);
  for (const [k, v] of [...bySelf].sort((a, b) => b[1] - a[1]).slice(0, value('--top', 40))) console.log(`${(v / runs / 1e6).toFixed(2).padStart(8)}  ${k}`);
  medians[live ? 'alive MB after a run' : 'allocated MB per run'] = total / runs / 1e6;
}

main().catch((e) => { console.error(e); process.exit(1); });
