// One table of the extension's commands: each id once, with the arguments our own callers (CodeLens, hover links,
// the status bar, quick fixes) pass it. Commands also arrive from the Command Palette and keybindings with no
// arguments or with anything, so handlers still check what they get; the table types what we send.
import * as vscode from 'vscode';

/** Options the unknown-model commands take from callers that already know the answer (no dialogs). */
export interface UnknownModelOptions {
  /** Download without asking (the user agreed elsewhere). */
  confirmed?: boolean;
  /** Choose a config.json: this path instead of the open dialog. */
  configPath?: string;
  /** Size it as a similar model: this catalog id instead of the quick pick. */
  pick?: string;
}

/** Command id → the arguments it is given by the extension itself. */
export interface CommandArguments {
  /** The deployment (document URI, index of the item in its analysis); none: the one under the cursor. */
  'inferenceBudget.openRoofline': [uri?: string, index?: number];
  'inferenceBudget.compareGpus': [uri?: string, index?: number];
  /** A GPU id, name or alias to make the default; none: a quick pick. */
  'inferenceBudget.selectGpu': [gpu?: string];
  'inferenceBudget.sizeGgufFile': [file?: vscode.Uri];
  'inferenceBudget.openExample': [];
  /** Writes `# inference-budget: model=…` above the deployment (document URI, its version, item index). */
  'inferenceBudget.nameModel': [uri: string, version: number, index: number];
  /** The document and the model reference as written. */
  'inferenceBudget.downloadModelConfig': [uri: string, reference: string, options?: UnknownModelOptions];
  'inferenceBudget.chooseModelConfig': [uri: string, reference: string, options?: UnknownModelOptions];
  'inferenceBudget.sizeAsSimilarModel': [uri: string, reference: string, options?: UnknownModelOptions];
}

export type CommandId = keyof CommandArguments;

/** The ids by short name, for code that registers or calls them. */
export const COMMAND = {
  openRoofline: 'inferenceBudget.openRoofline',
  compareGpus: 'inferenceBudget.compareGpus',
  selectGpu: 'inferenceBudget.selectGpu',
  sizeGgufFile: 'inferenceBudget.sizeGgufFile',
  openExample: 'inferenceBudget.openExample',
  nameModel: 'inferenceBudget.nameModel',
  downloadModelConfig: 'inferenceBudget.downloadModelConfig',
  chooseModelConfig: 'inferenceBudget.chooseModelConfig',
  sizeAsSimilarModel: 'inferenceBudget.sizeAsSimilarModel',
} as const satisfies Record<string, CommandId>;

/** The commands a hover may link to (hovers are trusted only for these; see `hoverCommandLink`). */
export const HOVER_COMMAND_IDS: readonly CommandId[] = [COMMAND.openRoofline, COMMAND.compareGpus, COMMAND.selectGpu];

/** A `vscode.Command` for a CodeLens, a status bar item or a code action. */
export function command<K extends CommandId>(id: K, title: string, args: CommandArguments[K], tooltip?: string): vscode.Command {
  return { command: id, title, tooltip, arguments: [...args] };
}

/**
 * A Markdown link that runs a command from a hover: `[title](command:id?["uri",0] "tooltip")`. Only the hover
 * commands, with arguments we build (JSON, URI-encoded), so document text never chooses what runs.
 */
export function hoverCommandLink<K extends CommandId>(id: K, title: string, args: CommandArguments[K], tooltip?: string): string {
  if (!HOVER_COMMAND_IDS.includes(id)) throw new Error(`${id} is not a hover command`);
  // encodeURIComponent leaves ( ) ! ' * ~ as they are; a `)` would end the Markdown link.
  const query = args.length ? `?${encodeURIComponent(JSON.stringify(args)).replace(/[()!'*~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}` : '';
  return `[${title}](command:${id}${query}${tooltip ? ` "${tooltip.replace(/["\\]/g, '')}"` : ''})`;
}

/** Registers a command of the table; the handler receives whatever the caller sent (see the note at the top). */
export function registerCommand(id: CommandId, handler: (...args: unknown[]) => unknown): vscode.Disposable {
  return vscode.commands.registerCommand(id, handler);
}
