// The model resolver of the editor: the lookup order and caching of src/analysis/modelResolver.ts over VS Code
// URIs (the workspace's folders and file search, open documents' text, virtual file systems), plus the one
// network access of the extension: the hub download, only with `inferenceBudget.hub.allowDownload` in a trusted
// workspace.
import * as os from 'os';
import * as vscode from 'vscode';
import { hubDownloader, HubOptions } from '../analysis/hubFetch';
import { ModelResolverCore, ResolverHost } from '../analysis/modelResolver';
import { listFolder, readFileBytes, statFile } from './files';
import type { Logger } from './log';

export type { ModelSource, ResolvedModel, Resolution } from '../analysis/modelResolver';

export class ModelResolver extends ModelResolverCore<vscode.Uri> {
  /** `hub`: the download's deadline, byte cap and concurrency, and the per-analysis cap and wait (tests shorten them). */
  constructor(log: Logger, env: NodeJS.ProcessEnv = process.env, hub: HubOptions = {}) {
    super(vscodeHost(log, env, hub), log, env, hub);
  }
}

/**
 * The host's functions that hold nothing of a resolver's own, made once: the same functions (and the code V8
 * compiled for them) serve every resolver (shapes.ts).
 */
const vscodeFiles: Omit<ResolverHost<vscode.Uri>, 'download'> = {
  file: (p) => vscode.Uri.file(p),
  join: (base, ...segments) => vscode.Uri.joinPath(base, ...segments),
  withPath: (document, p) => document.with({ path: p }),
  pathOf: (u) => u.path,
  key: (u) => u.toString(),
  isUntitled: (u) => u.scheme === 'untitled',
  stat: statFile,
  list: listFolder,
  readText: async (uri) => {
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    return open ? open.getText() : new TextDecoder().decode(await readFileBytes(uri));
  },
  workspaceFolders: () => (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri),
  findConfigs: (max) => vscode.workspace.findFiles('**/config.json', '**/{node_modules,.git}/**', max),
  display: (uri) => (uri.scheme === 'file' ? vscode.workspace.asRelativePath(uri) : uri.toString()),
  homeDir: () => os.homedir(),
  downloadBlocked: () => (vscode.workspace.isTrusted ? undefined : 'the workspace is not trusted'),
};

/** Locations are VS Code URIs: file: ones read with Node's fs (files.ts), others through workspace.fs. */
function vscodeHost(log: Logger, env: NodeJS.ProcessEnv, hub: HubOptions): ResolverHost<vscode.Uri> {
  return {
    ...vscodeFiles,
    // Downloaded configs by URL (kept across invalidations: the hub's config does not change under us), each
    // within its deadline and byte cap, a few at a time, failures remembered for a while.
    download: hubDownloader(env, log, 'inference-budget-vscode', hub),
  };
}
