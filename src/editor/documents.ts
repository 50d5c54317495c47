// Which documents the extension looks at: JSON and YAML (model configs, manifests, compose files, Helm values,
// budget files) on disk, untitled, or in a virtual workspace.
import * as vscode from 'vscode';

export const LANGUAGES = ['json', 'jsonc', 'yaml', 'dockercompose', 'helm'];
export const SCHEMES = ['file', 'untitled', 'vscode-vfs', 'vscode-remote'];

export const DOCUMENT_SELECTOR: vscode.DocumentSelector = LANGUAGES.flatMap((language) => SCHEMES.map((scheme) => ({ language, scheme })));

export function isRelevant(document: vscode.TextDocument): boolean {
  return LANGUAGES.includes(document.languageId) && SCHEMES.includes(document.uri.scheme);
}
