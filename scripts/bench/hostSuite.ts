// The in-host half of `npm run bench`: runs INSIDE the VS Code extension host (code-server), loaded through
// `extensionTestsPath` by scripts/bench.ts (not by test/vscode/launcher.js, and not part of any test run).
// It reads its plan from $IB_BENCH_PLAN and writes one JSON result to plan.out.
//
// Measured here, with performance.now() in the extension host process:
//  - activation: the extension is activated by this suite (the bench workspace opens no editor that triggers its
//    activation events; when code-server restores one first, the extension is already active, that sample and the
//    hover rows are reported as not measured, and the provider below is not captured). Module._load is wrapped for the extension's main file (code loading) and its exported activate()
//    is wrapped (activate start → end); VS Code's own code/extHost/*ExtensionCode|*ActivateExtension marks
//    (Date.now() resolution) are read back as a cross-check.
//  - hover: vscode.languages.registerHoverProvider is wrapped BEFORE activation, so the extension's real hover
//    provider (from dist/extension.js) is (a) timed each time VS Code calls it, and (b) called directly by this
//    suite (no IPC). `vscode.executeHoverProvider` round trips (renderer ⇄ host IPC, every hover provider of the
//    document, the JSON language server included) are timed separately.
//  - diagnostics of the 2 MB manifest: open → first publish and edit → publish, from the diagnostics-change
//    event (fired synchronously by DiagnosticCollection.set in this process); plus the editor layer's own
//    Analyzer + buildDiagnostics (bundled from src/ into this file) called directly with the real vscode API.
//  - memory: process.memoryUsage() after a forced GC, before activation and after the documents are open.
import * as fs from 'fs';
import * as path from 'path';
import { performance } from 'perf_hooks';
import * as vscode from 'vscode';
import { analysisItems, Analyzer } from '../../src/editor/analysis';
import { buildDiagnostics } from '../../src/editor/diagnostics';
import type { Logger } from '../../src/editor/log';
import { ModelResolver } from '../../src/editor/modelResolver';
import { readSettings } from '../../src/editor/settings';
import { parseDocument } from '../../src/formats';
import { hoverTargets } from './generate';
import { getGc, memory, summarize } from './stats';

export interface HostPlan {
  out: string;
  extensionId: string;
  corpus: string[];
  manifest: string;
  /** Direct provider calls per hover position (after one warm-up). */
  directCalls: number;
  /** executeHoverProvider calls per hover position (after one warm-up). */
  commandCalls: number;
  editReps: number;
  analyzeReps: number;
  /** Runs before the cold median (they also compile the code). */
  warmupRuns: number;
  /** Stop after activation (extra activation samples, each in a fresh extension host). */
  activationOnly?: boolean;
}

type Json = Record<string, unknown>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function run(): Promise<void> {
  const plan = JSON.parse(fs.readFileSync(process.env.IB_BENCH_PLAN ?? '', 'utf8')) as HostPlan;
  const progress = (line: string) => { try { fs.appendFileSync(plan.out + '.progress', line + '\n'); } catch { /* best effort */ } };
  const result: Json = { errors: [] as string[] };
  try {
    await bench(plan, result, progress);
  } catch (e) {
    (result.errors as string[]).push((e as Error)?.stack ?? String(e));
    progress(`error: ${(e as Error)?.message ?? e}`);
  }
  const tmp = plan.out + '.tmp';
  fs.writeFileSync(tmp, JSON.stringify(result, null, 2));
  fs.renameSync(tmp, plan.out);
}

async function bench(plan: HostPlan, result: Json, progress: (s: string) => void): Promise<void> {
  const gc = getGc();
  const settle = async () => { await sleep(200); gc?.(); gc?.(); };
  result.gcAvailable = !!gc;
  const ext = vscode.extensions.getExtension(plan.extensionId);
  if (!ext) throw new Error(`extension ${plan.extensionId} not found`);
  result.vscodeVersion = vscode.version;
  result.nodeVersion = process.version;

  // ---- memory before activation ---------------------------------------------------------------------
  await settle();
  const mem: Json = { beforeActivation: memory() };
  result.memory = mem;

  // ---- hooks (before activation) ------------------------------------------------------------------------
  const providerTimes: number[] = [];
  let recordProvider = false;
  const providers: vscode.HoverProvider[] = [];
  const languages = vscode.languages as unknown as Record<string, unknown>;
  const origRegister = vscode.languages.registerHoverProvider;
  languages.registerHoverProvider = (selector: vscode.DocumentSelector, provider: vscode.HoverProvider) => {
    providers.push(provider);
    const wrapped: vscode.HoverProvider = {
      provideHover(doc, pos, token) {
        const t0 = performance.now();
        return Promise.resolve(provider.provideHover(doc, pos, token)).then((v) => {
          if (recordProvider) providerTimes.push(performance.now() - t0);
          return v;
        });
      },
    };
    return origRegister.call(vscode.languages, selector, wrapped);
  };

  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Module = require('module') as { _load: (...a: unknown[]) => unknown; _resolveFilename: (...a: unknown[]) => string };
  const mainFile = require.resolve(path.resolve(ext.extensionPath, String(ext.packageJSON.main ?? 'dist/extension.js')));
  const act: Json = { activeBeforeSuite: ext.isActive, mainFile };
  result.activation = act;
  const origLoad = Module._load;
  Module._load = function load(this: unknown, ...args: unknown[]) {
    let isMain = false;
    try { isMain = Module._resolveFilename(args[0], args[1], args[2]) === mainFile; } catch { /* 'vscode' and friends */ }
    if (!isMain) return origLoad.apply(this, args);
    const s = performance.now();
    const exp = origLoad.apply(this, args) as Record<string, unknown>;
    act.codeLoadingMs = performance.now() - s;
    if (!exp || typeof exp.activate !== 'function') return exp;
    const activate = exp.activate as (ctx: unknown) => unknown;
    const wrapper: Record<string, unknown> = { ...exp };
    wrapper.activate = function timedActivate(this: unknown, ctx: unknown) {
      const a = performance.now();
      let r: unknown;
      try { r = activate.call(this, ctx); } finally { act.activateCallMs = performance.now() - a; }
      return Promise.resolve(r).then((v) => { act.activateResolvedMs = performance.now() - a; return v; });
    };
    return wrapper;
  };

  // ---- activation ---------------------------------------------------------------------------------------
  const t0 = performance.now();
  try {
    await ext.activate();
  } finally {
    Module._load = origLoad;
    languages.registerHoverProvider = origRegister;
  }
  act.extActivateMs = performance.now() - t0;
  const marks = ((globalThis as { MonacoPerformanceMarks?: { getMarks(): { name: string; startTime: number }[] } }).MonacoPerformanceMarks?.getMarks() ?? []);
  const mark = (n: string) => marks.find((m) => m.name === `code/extHost/${n}/${plan.extensionId}`)?.startTime;
  const [wl, dl, wa, da] = ['willLoadExtensionCode', 'didLoadExtensionCode', 'willActivateExtension', 'didActivateExtension'].map(mark);
  act.vscodeMarks = {
    codeLoadingMs: wl !== undefined && dl !== undefined ? dl - wl : null,
    activateMs: wa !== undefined && da !== undefined ? da - wa : null,
    resolution: 'Date.now() (1 ms)',
  };
  act.hoverProvidersCaptured = providers.length;
  progress(`activation: ext.activate() ${(act.extActivateMs as number).toFixed(1)} ms, activate() ${Number(act.activateResolvedMs ?? NaN).toFixed(2)} ms, code loading ${Number(act.codeLoadingMs ?? NaN).toFixed(1)} ms`);
  await settle();
  mem.afterActivation = memory();
  if (plan.activationOnly) return;

  // ---- hovers over the corpus --------------------------------------------------------------------------
  const provider = providers[0];
  const direct: number[] = [];
  const command: number[] = [];
  const perFile: Json[] = [];
  let positions = 0;
  let answered = 0;
  const cts = new vscode.CancellationTokenSource();
  for (const file of plan.corpus) {
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
    const targets = hoverTargets(doc.getText());
    const fileDirect: number[] = [];
    for (const t of targets) {
      positions++;
      const pos = doc.positionAt(t.offset);
      // Warm-up: one call each way (analysis of the document, the JSON language server's first hover).
      await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, pos);
      const first = provider ? await provider.provideHover(doc, pos, cts.token) : undefined;
      if (first) answered++;
      if (provider) {
        for (let i = 0; i < plan.directCalls; i++) {
          const s = performance.now();
          await provider.provideHover(doc, pos, cts.token);
          const d = performance.now() - s;
          direct.push(d);
          fileDirect.push(d);
        }
      }
      recordProvider = true;
      for (let i = 0; i < plan.commandCalls; i++) {
        const s = performance.now();
        await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, pos);
        command.push(performance.now() - s);
      }
      recordProvider = false;
    }
    if (fileDirect.length) perFile.push({ file: path.basename(path.dirname(file)) + '/' + path.basename(file), positions: targets.length, directP50Ms: summarize(fileDirect).p50, directMaxMs: summarize(fileDirect).max });
  }
  cts.dispose();
  result.hover = {
    files: plan.corpus.length,
    positions,
    positionsAnswered: answered,
    directCallsPerPosition: plan.directCalls,
    commandCallsPerPosition: plan.commandCalls,
    providerDirectMs: summarize(direct),
    providerAsCalledByVsCodeMs: summarize(providerTimes),
    executeHoverProviderMs: summarize(command),
    slowestFiles: perFile.sort((a, b) => (b.directP50Ms as number) - (a.directP50Ms as number)).slice(0, 5),
  };
  progress(`hover: ${positions} positions in ${plan.corpus.length} files; direct p99 ${summarize(direct).p99.toFixed(3)} ms; executeHoverProvider p99 ${summarize(command).p99.toFixed(2)} ms`);
  await settle();
  mem.afterCorpusOpen = memory();
  mem.documentsOpen = vscode.workspace.textDocuments.length;

  // ---- diagnostics of the 2 MB manifest ----------------------------------------------------------------
  const uri = vscode.Uri.file(plan.manifest);
  const key = uri.toString();
  let published: { t: number; count: number }[] = [];
  let changedAt: number | undefined;
  const ours = () => vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'Inference Budget').length;
  const subs = [
    vscode.languages.onDidChangeDiagnostics((e) => {
      if (e.uris.some((u) => u.toString() === key)) published.push({ t: performance.now(), count: ours() });
    }),
    vscode.workspace.onDidChangeTextDocument((e) => {
      if (e.document.uri.toString() === key && e.contentChanges.length && changedAt === undefined) changedAt = performance.now();
    }),
  ];
  const waitPublished = async (after: number, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const p = published.find((x) => x.t >= after && x.count > 0);
      if (p) return p;
      await sleep(5);
    }
    return undefined;
  };
  const diag: Json = {};
  result.diagnostics = diag;
  const o0 = performance.now();
  const mdoc = await vscode.workspace.openTextDocument(uri);
  const opened = performance.now();
  const first = await waitPublished(o0, 60_000);
  diag.bytes = Buffer.byteLength(mdoc.getText());
  diag.openDocumentMs = opened - o0;
  diag.openToPublishedMs = first ? first.t - o0 : null;
  diag.diagnosticsPublished = first?.count ?? 0;
  progress(`manifest: open → published ${first ? (first.t - o0).toFixed(0) : '—'} ms (${first?.count ?? 0} diagnostics)`);

  const edits: Json[] = [];
  const text = mdoc.getText();
  const needle = '--gpu-memory-utilization=';
  for (let rep = 0; rep < plan.editReps; rep++) {
    await sleep(400);
    published = [];
    changedAt = undefined;
    // A different Deployment each time, near the middle of the file.
    let at = -1;
    for (let k = 0, from = Math.floor(text.length / 3); k <= rep; k++) { at = text.indexOf(needle, from); from = at + 1; }
    if (at < 0) break;
    const cur = vscode.workspace.textDocuments.find((d) => d.uri.toString() === key)!;
    const start = cur.positionAt(at + needle.length);
    const old = cur.getText(new vscode.Range(start, cur.positionAt(at + needle.length + 4)));
    const edit = new vscode.WorkspaceEdit();
    edit.replace(uri, new vscode.Range(start, cur.positionAt(at + needle.length + 4)), old === '0.91' ? '0.90' : '0.91');
    const e0 = performance.now();
    await vscode.workspace.applyEdit(edit);
    const applied = performance.now();
    const p = await waitPublished(e0, 30_000);
    edits.push({
      applyEditMs: applied - e0,
      editToPublishedMs: p ? p.t - e0 : null,
      changeEventToPublishedMs: p && changedAt !== undefined ? p.t - changedAt : null,
    });
  }
  const e2p = edits.map((e) => e.editToPublishedMs).filter((x): x is number => typeof x === 'number');
  const c2p = edits.map((e) => e.changeEventToPublishedMs).filter((x): x is number => typeof x === 'number');
  diag.edits = edits;
  diag.editToPublishedMs = summarize(e2p);
  diag.changeEventToPublishedMs = summarize(c2p);
  diag.debounceMs = 300;
  progress(`manifest: edit → published median ${summarize(e2p).p50.toFixed(0)} ms (includes the 300 ms debounce)`);

  // Memory now, before this suite allocates its own Analyzer below.
  await settle();
  mem.afterManifest = memory();
  mem.documentsOpenAfterManifest = vscode.workspace.textDocuments.length;

  // The editor layer's own code, called directly in the host with the real vscode API: first the models the
  // manifest names are resolved (cold: workspace search, HF cache, bundled catalog), then Analyzer.analyze +
  // buildDiagnostics with those resolutions cached (the cost of every later edit, without the debounce).
  const log: Logger & { errors: string[] } = { errors: [], info() {}, warn() {}, error(m: string) { this.errors.push(m); } };
  const cur = vscode.workspace.textDocuments.find((d) => d.uri.toString() === key)!;
  const resolver = new ModelResolver(log);
  const settings = readSettings();
  const refs = [...new Set(parseDocument(cur.fileName, cur.getText()).deployments.map((d) => d.model?.name).filter((n): n is string => !!n))];
  const f0 = performance.now();
  const configs = await vscode.workspace.findFiles('**/config.json', '**/{node_modules,.git}/**', settings.maxDocuments);
  diag.findFilesMs = performance.now() - f0;
  diag.workspaceConfigs = configs.length;
  // What one file-system call costs here (the resolver stats and reads every workspace config.json it searches).
  if (configs.length) {
    const stat: number[] = [];
    const readFile: number[] = [];
    for (let i = 0; i < 50; i++) {
      const u = configs[i % configs.length];
      let s = performance.now();
      await vscode.workspace.fs.stat(u);
      stat.push(performance.now() - s);
      s = performance.now();
      await vscode.workspace.fs.readFile(u);
      readFile.push(performance.now() - s);
    }
    diag.workspaceFsStatMs = summarize(stat);
    diag.workspaceFsReadFileMs = summarize(readFile);
  }
  const perRef: number[] = [];
  const r0 = performance.now();
  for (const ref of refs) {
    const s = performance.now();
    await resolver.resolve(ref, uri, settings);
    perRef.push(performance.now() - s);
  }
  diag.resolveDistinctModels = { models: refs.length, totalMs: performance.now() - r0, perModelMs: summarize(perRef) };
  progress(`manifest: resolving its ${refs.length} distinct models in the host took ${(performance.now() - r0).toFixed(0)} ms`);
  // Cold, as when the manifest is first opened in a session: a fresh resolver and Analyzer each time, so every
  // model is resolved (workspace configs, HF cache, bundled catalog) and every deployment sized again. The
  // extension reads the workspace's config.json files at activation (ModelResolver.indexWorkspace): that is
  // timed apart, then the analysis.
  const cold: Json[] = [];
  for (let rep = 0; rep < plan.warmupRuns + plan.analyzeReps; rep++) {
    gc?.();
    const fresh = new ModelResolver(log);
    const i0 = performance.now();
    await fresh.indexWorkspace(settings.maxDocuments);
    const a0 = performance.now();
    const analysis = await new Analyzer(fresh, log).analyze(cur);
    const a1 = performance.now();
    const ds = analysis ? buildDiagnostics(cur, analysis) : [];
    const a2 = performance.now();
    cold.push({ indexWorkspaceMs: a0 - i0, analyzeMs: a1 - a0, buildDiagnosticsMs: a2 - a1, totalMs: a2 - a0, sized: analysis ? analysisItems(analysis).filter((i) => i.status === 'sized').length : 0, diagnostics: ds.length });
  }
  // The first runs also compile this copy of the code: timed apart, the median is over the rest.
  diag.inHostColdCompilingRuns = cold.slice(0, plan.warmupRuns);
  diag.inHostCold = cold.slice(plan.warmupRuns);
  diag.inHostColdTotalMs = summarize(cold.slice(plan.warmupRuns).map((d) => d.totalMs as number));
  diag.inHostIndexWorkspaceMs = summarize(cold.map((d) => d.indexWorkspaceMs as number));
  progress(`manifest: cold analysis in the host (fresh resolver each time) ${cold.map((d) => (d.totalMs as number).toFixed(0)).join(', ')} ms`);
  const analyzer = new Analyzer(resolver, log);
  const direct2: Json[] = [];
  for (let rep = 0; rep < plan.analyzeReps; rep++) {
    analyzer.forget(uri);
    gc?.();
    const a0 = performance.now();
    const analysis = await analyzer.analyze(cur);
    const a1 = performance.now();
    const ds = analysis ? buildDiagnostics(cur, analysis) : [];
    const a2 = performance.now();
    direct2.push({ analyzeMs: a1 - a0, buildDiagnosticsMs: a2 - a1, totalMs: a2 - a0, deployments: analysis ? analysisItems(analysis).length : 0, sized: analysis ? analysisItems(analysis).filter((i) => i.status === 'sized').length : 0, diagnostics: ds.length });
  }
  diag.inHostDirect = direct2;
  diag.inHostDirectTotalMs = summarize(direct2.map((d) => d.totalMs as number));
  diag.loggedErrors = log.errors.slice(0, 5);
  subs.forEach((s) => s.dispose());
}
