// Reads the `inferenceBudget.*` settings from VS Code's configuration; the validation and the rules that turn
// settings into engine inputs are vscode-free, in src/analysis/settings.ts.
import * as vscode from 'vscode';
import { settingsFromValues } from '../analysis/settings';
import type { Settings } from '../analysis/settings';

export { configInputs, deploymentInputs } from '../analysis/settings';
export type { Settings, Workload } from '../analysis/settings';

export const SECTION = 'inferenceBudget';

/** Reads the settings. `isTrusted` false turns the hub download off whatever the setting says. */
export function readSettings(isTrusted = vscode.workspace.isTrusted): Settings {
  const c = vscode.workspace.getConfiguration(SECTION);
  return settingsFromValues((key) => c.get<unknown>(key), isTrusted);
}
