// `npm run coverage`: how much of ../shared/deployments/ (real deployment files) `inference-budget check` reads
// and sizes, as a new user would run it: no workspace, an empty Hugging Face cache, no network. Prints per file
// (and per deployment) recognised, engine, model, resolved, sized and the reason when not sized; then
// `files N, recognised X%, sized end to end Y%` and the reasons ranked.
//
// A file is recognised when the readers say what it is (kind); it is sized end to end when it holds at least one
// deployment and every deployment in it is sized.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { CheckJson, DeploymentJson, FileJson } from '../src/cli/check';

const ROOT = path.resolve(__dirname, '..', '..');
const CORPUS = path.resolve(ROOT, '..', 'shared', 'deployments');
const CLI = path.join(ROOT, 'dist', 'cli.js');

const pad = (s: string, n: number): string => (s.length >= n ? s.slice(0, n - 1) + '…' : s + ' '.repeat(n - s.length));
const pct = (a: number, b: number): string => `${b ? ((100 * a) / b).toFixed(0) : '0'}%`;

/** Runs the built CLI with an empty home and Hugging Face cache, and no workspace. */
function runCheck(): CheckJson {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'ib-coverage-'));
  try {
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, HF_HOME: home, USERPROFILE: home };
    for (const k of ['HF_HUB_CACHE', 'HUGGINGFACE_HUB_CACHE', 'XDG_CACHE_HOME', 'HF_ENDPOINT', 'HF_TOKEN', 'HUGGING_FACE_HUB_TOKEN']) delete env[k];
    let stdout: string;
    try {
      stdout = execFileSync(process.execPath, [CLI, 'check', '--json', '--no-workspace', CORPUS], { cwd: home, env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    } catch (e) {
      // Exit 1 (an error diagnostic somewhere) still prints the report.
      const err = e as { status?: number; stdout?: string; stderr?: string };
      if (err.status !== 1 || !err.stdout) throw new Error(`check failed (exit ${err.status}): ${err.stderr ?? e}`);
      stdout = err.stdout;
    }
    return JSON.parse(stdout) as CheckJson;
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}

/** Phrases of the codes check gives a deployment that is not sized. */
const NOT_SIZED: Record<string, string> = {
  'model-not-named': 'no model named',
  'model-in-script': 'the server is started by a script the file does not contain',
  'model-templated': 'model is a deploy-time variable that the file does not set',
  'model-is-path': 'model is a path inside the container',
  'model-storage-uri': 'model is a storage URI (s3, gs, oci, pvc)',
  'model-not-in-catalog': 'model not in the bundled catalog',
  'accelerator-not-in-catalog': 'accelerator not in the catalog',
  'accelerator-type-unknown': 'accelerator type not stated',
  'engine-not-emulated': 'engine not emulated',
  unsupported: 'model not supported by the engine',
};

/** Reasons meaning the file does not name its model (a template it does not set, a mount path, storage, nothing). */
const UNNAMED = new Set([NOT_SIZED['model-not-named'], NOT_SIZED['model-templated'], NOT_SIZED['model-is-path'], NOT_SIZED['model-storage-uri']]);

/** The reason a deployment is not sized, as a category to rank (the model's shape refines "not found"). */
function deploymentReason(d: DeploymentJson): string {
  const codes = d.diagnostics.map((x) => x.code);
  const code = codes.find((c) => c in NOT_SIZED) ?? (codes.includes('model-not-found') ? 'model-not-found' : undefined);
  if (code === 'model-not-found') {
    const m = d.modelId ?? '';
    if (/\$[({A-Za-z_]|\{\{/.test(m)) return NOT_SIZED['model-templated'];
    if (/^[a-z][\w+.-]*:\/\//i.test(m) && !/^(hf|https?):/i.test(m)) return NOT_SIZED['model-storage-uri'];
    if (/^[/~]/.test(m)) return NOT_SIZED['model-is-path'];
    if (/^[\w.-]+\/[\w.-]+$/.test(m)) return NOT_SIZED['model-not-in-catalog'];
    return 'model not found';
  }
  if (code) return NOT_SIZED[code];
  if (!d.modelId) return NOT_SIZED['model-not-named'];
  const error = d.diagnostics.find((x) => x.severity === 'error');
  return error ? `engine error: ${error.code}` : `not sized: ${d.notSizedReason ?? 'no reason given'}`;
}

/** Why the readers did not recognise a file, from what it runs (the report only says they did not). */
function unrecognisedReason(file: FileJson): string {
  const text = fs.readFileSync(path.join(CORPUS, path.basename(file.path)), 'utf8');
  if (/ollama/i.test(text)) return 'not recognised: runs Ollama (not an engine we size)';
  if (/llama\.cpp|llama-server|llamacpp/i.test(text)) return 'not recognised: runs llama.cpp (not an engine we size)';
  if (/jetstream/i.test(text)) return 'not recognised: runs JetStream (not an engine we size)';
  const kind = /^kind:\s*(\S+)/m.exec(text)?.[1];
  if (kind) return `not recognised: Kubernetes kind ${kind} is not read`;
  if (/^resources:\s*$/m.test(text) && /^run:/m.test(text)) return 'not recognised: SkyPilot task is not read';
  if (/\{\{/.test(text)) return 'not recognised: Helm template';
  return 'not recognised: no vLLM, SGLang or TGI server found';
}

function main(): void {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  const report = runCheck();
  const reasons = new Map<string, number>();
  const count = (r: string): void => { reasons.set(r, (reasons.get(r) ?? 0) + 1); };
  let recognised = 0;
  let sizedFiles = 0;
  // Files whose every deployment names its model (directly or through a variable the file sets), and of those
  // the ones sized or kept from it only by the bundled catalog: what the readers target measures.
  let named = 0;
  let readEndToEnd = 0;
  console.log(`inference-budget check over ${path.relative(process.cwd(), CORPUS) || CORPUS}: no workspace, empty Hugging Face cache, no network\n`);
  console.log([pad('file', 58), pad('recognised', 16), pad('engine', 7), pad('model', 46), pad('resolved', 9), pad('sized', 6), 'reason'].join(' '));
  for (const f of report.files) {
    const name = path.basename(f.path);
    if (f.kind) recognised++;
    if (f.deployments.length === 0) {
      const reason = f.kind ? `recognised (${f.kind}), but no deployment found` : unrecognisedReason(f);
      count(reason);
      console.log([pad(name, 58), pad(f.kind ?? 'no', 16), pad('—', 7), pad('—', 46), pad('—', 9), pad('no', 6), reason].join(' '));
      continue;
    }
    if (f.deployments.every((d) => d.sized)) sizedFiles++;
    const reasons = f.deployments.map((d) => (d.sized ? '' : deploymentReason(d)));
    if (reasons.every((r) => !UNNAMED.has(r))) {
      named++;
      if (reasons.every((r) => r === '' || r === NOT_SIZED['model-not-in-catalog'])) readEndToEnd++;
    }
    f.deployments.forEach((d, i) => {
      const reason = reasons[i];
      if (!d.sized) count(reason);
      console.log([
        pad(i === 0 ? name : `  ${d.name}`, 58), pad(i === 0 ? f.kind ?? 'no' : '', 16), pad(d.engine, 7), pad(d.modelId ?? '—', 46),
        pad(d.modelSource ?? 'no', 9), pad(d.sized ? (d.fits ? 'fits' : 'no fit') : 'no', 6), reason,
      ].join(' '));
    });
  }
  const n = report.files.length;
  console.log(`\nfiles ${n}, recognised ${pct(recognised, n)}, sized end to end ${pct(sizedFiles, n)}`);
  console.log(`(${recognised} recognised, ${sizedFiles} sized end to end; deployments ${report.summary.deployments}, sized ${report.summary.sized})`);
  console.log(`files whose model is named in the file ${named}: read end to end ${pct(readEndToEnd, named)} (${readEndToEnd} sized, or kept from it only by a model missing from the bundled catalog)`);
  console.log('\nReasons, most frequent first (files not recognised, deployments not sized):');
  for (const [reason, k] of [...reasons].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))) console.log(`${String(k).padStart(4)}  ${reason}`);
}

main();
