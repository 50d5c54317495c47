// A way forward when a deployment's model is not found (the quick fixes beside "Say which model this is"):
//   - Download its config.json from the Hugging Face Hub: asks once (a modal), trusted workspaces only, through
//     the editor's resolver and its hub download (HF_ENDPOINT and the token; src/analysis/hubFetch.ts); the file is
//     kept in the extension's global storage in the Hub cache layout (hub/models--org--name/snapshots/<rev>/),
//     which every resolver of this window looks in, so it is downloaded once;
//   - Choose a config.json…: an open dialog, written as an `inferenceBudget.models` entry of the workspace;
//   - Size it as a similar model…: catalog models of the same family and size (similarModels), written as an
//     `inferenceBudget.models` alias; the hover then says "Sized as … (inferenceBudget.models)".
// Each command takes (document URI, reference, options): options let scripts and tests skip the dialogs.
import * as path from 'path';
import * as vscode from 'vscode';
import { bundledModels } from '../analysis/bundledCatalog';
import { addHubCacheRoot } from '../analysis/modelResolver';
import { hfCacheFolderName, parseModelReference, similarModels } from '../core/modelResolution';
import { params } from './present';
import type { Analyzer } from './analysis';
import { guarded, Logger } from './log';
import { ModelResolver } from './modelResolver';
import { SECTION } from './settings';
import { COMMAND, registerCommand, UnknownModelOptions } from './commandTable';


/** globalState key: the user agreed to download configs from the Hub (asked once). */
const CONSENT_KEY = 'inferenceBudget.hubDownloadConsent';


export interface UnknownModelOutcome { ok: boolean; message: string; location?: string }

/** The quick fixes' titles (code actions and tests use them). */
export const UNKNOWN_MODEL_TITLES = {
  download: 'Download its config.json from the Hugging Face Hub',
  choose: 'Choose a config.json…',
  similar: 'Size it as a similar model…',
};

/** Where downloaded configs are kept: `<global storage>/hub`, the Hub cache layout. */
export function hubCacheFolder(context: vscode.ExtensionContext): vscode.Uri {
  return vscode.Uri.joinPath(context.globalStorageUri, 'hub');
}

export function registerUnknownModelCommands(context: vscode.ExtensionContext, analyzer: Analyzer, log: Logger): void {
  const cache = hubCacheFolder(context);
  // Configs downloaded in an earlier session are found without asking the Hub again.
  if (cache.scheme === 'file') addHubCacheRoot(cache.fsPath);
  let resolver: ModelResolver | undefined;
  const hub = () => (resolver ??= new ModelResolver(log));
  context.subscriptions.push(
    registerCommand(COMMAND.downloadModelConfig, (uri?: unknown, reference?: unknown, options?: unknown) =>
      guarded(log, 'download a model config', { ok: false, message: 'failed' }, () => downloadConfig(context, analyzer, hub(), log, cache, String(reference ?? ''), optionsOf(options)))),
    registerCommand(COMMAND.chooseModelConfig, (uri?: unknown, reference?: unknown, options?: unknown) =>
      guarded(log, 'choose a model config', { ok: false, message: 'failed' }, () => chooseConfig(documentUri(uri), String(reference ?? ''), optionsOf(options)))),
    registerCommand(COMMAND.sizeAsSimilarModel, (uri?: unknown, reference?: unknown, options?: unknown) =>
      guarded(log, 'size as a similar model', { ok: false, message: 'failed' }, () => sizeAsSimilar(documentUri(uri), String(reference ?? ''), optionsOf(options)))),
  );
}

/** Options as a caller sent them: only the known fields, with their types. */
function optionsOf(raw: unknown): UnknownModelOptions {
  if (!raw || typeof raw !== 'object') return {};
  const o = raw as Record<string, unknown>;
  return {
    confirmed: o.confirmed === true ? true : undefined,
    configPath: typeof o.configPath === 'string' ? o.configPath : undefined,
    pick: typeof o.pick === 'string' ? o.pick : undefined,
  };
}

function documentUri(uri: unknown): vscode.Uri | undefined {
  if (uri instanceof vscode.Uri) return uri;
  if (typeof uri === 'string' && uri) { try { return vscode.Uri.parse(uri); } catch { return undefined; } }
  return undefined;
}

async function downloadConfig(context: vscode.ExtensionContext, analyzer: Analyzer, resolver: ModelResolver, log: Logger, cache: vscode.Uri,
  reference: string, options: UnknownModelOptions): Promise<UnknownModelOutcome> {
  const fail = (message: string): UnknownModelOutcome => {
    void vscode.window.showErrorMessage(`Inference Budget: ${message}`);
    return { ok: false, message };
  };
  const ref = parseModelReference(reference);
  if (!ref || ref.kind !== 'hub') return fail(`"${reference}" is not a Hugging Face model id (org/name), so there is nothing to download.`);
  if (!vscode.workspace.isTrusted) return fail('downloading from the Hugging Face Hub is off in an untrusted workspace: trust the workspace first.');
  const revision = ref.revision ?? 'main';
  const repo = vscode.Uri.joinPath(cache, hfCacheFolderName(ref.id));
  const target = vscode.Uri.joinPath(repo, 'snapshots', revision, 'config.json');
  // Downloaded before (this session or an earlier one): use it.
  if (await exists(target)) {
    analyzer.invalidateModels();
    return { ok: true, message: `${ref.id}'s config.json was downloaded before`, location: target.toString() };
  }
  if (!options.confirmed && !context.globalState.get<boolean>(CONSENT_KEY)) {
    const endpoint = (process.env.HF_ENDPOINT || 'https://huggingface.co').replace(/\/\/[^/@]*@/, '//***@');
    const yes = 'Download';
    const answer = await vscode.window.showInformationMessage(
      `Download config.json files of models not found here from the Hugging Face Hub (${endpoint})?`,
      { modal: true, detail: 'Only the model\'s config.json is downloaded (with your Hugging Face access token when one is set), and kept in the extension\'s storage. You are asked this once.' },
      yes);
    if (answer !== yes) return { ok: false, message: 'not downloaded (declined)' };
    await context.globalState.update(CONSENT_KEY, true);
  }
  let config: unknown;
  try {
    config = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Inference Budget: downloading ${ref.id}'s config.json…` },
      async () => (await resolver.downloadHubConfig(ref.id, ref.revision)).config);
  } catch (e) {
    return fail(`could not download ${ref.id}'s config.json: ${(e as Error).message}`);
  }
  await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(`${JSON.stringify(config, null, 2)}\n`));
  await vscode.workspace.fs.writeFile(vscode.Uri.joinPath(repo, 'refs', revision), new TextEncoder().encode(revision));
  log.info(`downloaded ${ref.id}'s config.json to ${target.toString()}`);
  analyzer.invalidateModels();
  return { ok: true, message: `downloaded ${ref.id}'s config.json`, location: target.toString() };
}

async function chooseConfig(document: vscode.Uri | undefined, reference: string, options: UnknownModelOptions): Promise<UnknownModelOutcome> {
  if (!reference.trim()) return { ok: false, message: 'no model named' };
  let file: vscode.Uri | undefined;
  if (options.configPath) {
    file = vscode.Uri.file(options.configPath);
  } else {
    const picked = await vscode.window.showOpenDialog({
      title: `Inference Budget: the config.json of ${reference}`, canSelectFiles: true, canSelectFolders: false, canSelectMany: false,
      filters: { 'Model config': ['json'] }, openLabel: 'Use this config.json',
      defaultUri: document ? vscode.workspace.getWorkspaceFolder(document)?.uri : undefined,
    });
    file = picked?.[0];
  }
  if (!file) return { ok: false, message: 'no file chosen' };
  // Workspace-relative where it is in the (first) workspace folder, so the setting travels with the repository.
  const folder = vscode.workspace.getWorkspaceFolder(file);
  const written = folder && file.scheme === 'file' ? path.relative(folder.uri.fsPath, file.fsPath).split(path.sep).join('/') : file.scheme === 'file' ? file.fsPath : file.toString();
  await writeAlias(document, reference, written);
  return { ok: true, message: `${reference} → ${written}`, location: written };
}

async function sizeAsSimilar(document: vscode.Uri | undefined, reference: string, options: UnknownModelOptions): Promise<UnknownModelOutcome> {
  if (!reference.trim()) return { ok: false, message: 'no model named' };
  let id = options.pick;
  if (!id) {
    const similar = similarModels(reference, bundledModels(), 15);
    if (!similar.length) {
      void vscode.window.showInformationMessage(`Inference Budget: no bundled model looks like ${reference}; choose its config.json instead.`);
      return { ok: false, message: 'no similar model' };
    }
    const item = await vscode.window.showQuickPick(similar.map((s) => ({
      label: s.entry.id,
      description: s.parameters ? `~${params(s.parameters)} parameters` : undefined,
      detail: s.entry.provenance && s.entry.provenance !== 'verbatim' ? `bundled (${s.entry.provenance})` : 'bundled',
    })), { title: `Inference Budget: size ${reference} as…`, placeHolder: 'A bundled model of the same family and size (written to inferenceBudget.models)' });
    id = item?.label;
  }
  if (!id) return { ok: false, message: 'nothing picked' };
  await writeAlias(document, reference, id);
  return { ok: true, message: `${reference} sized as ${id}` };
}

/** Adds `reference → target` to `inferenceBudget.models` of the workspace (of the user where no folder is open). */
async function writeAlias(document: vscode.Uri | undefined, reference: string, target: string): Promise<void> {
  const config = vscode.workspace.getConfiguration(SECTION, document);
  const inWorkspace = (vscode.workspace.workspaceFolders?.length ?? 0) > 0;
  const inspected = config.inspect<Record<string, string>>('models');
  const current = (inWorkspace ? inspected?.workspaceValue : inspected?.globalValue) ?? {};
  await config.update('models', { ...current, [reference]: target }, inWorkspace ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global);
}

async function exists(uri: vscode.Uri): Promise<boolean> {
  try { await vscode.workspace.fs.stat(uri); return true; } catch { return false; }
}
