// The roofline panel's host side as source (src/editor/rooflinePanel.ts, src/editor/panel/*): the view validates
// messages, confines resources and uses a random nonce; the view has no optional fields and no test hooks, the test
// commands live in src/editor/panel/testSupport.ts only; the panel's arithmetic is core's.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

function findRoot(start: string): string {
  let dir = start;
  while (!fs.existsSync(path.join(dir, 'src', 'editor', 'rooflinePanel.ts'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('src/editor/rooflinePanel.ts not found');
    dir = up;
  }
  return dir;
}
const ROOT = findRoot(__dirname);

function source(rel: string): string {
  return fs.readFileSync(path.join(ROOT, rel), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
}

describe('roofline panel host (source checks)', () => {
  const view = source('src/editor/panel/view.ts');

  it('the view validates messages, confines resources and uses a random nonce', () => {
    assert.match(view, /onDidReceiveMessage/);
    assert.match(view, /isWebviewMessage\(/, 'messages from the webview are validated');
    assert.match(view, /isHostMessage\(/, 'messages to the webview are validated');
    assert.match(view, /renderPanelHtml\(/, 'the HTML comes from the shell with the CSP');
    assert.match(view, /localResourceRoots\s*:/, 'local resources are confined');
    assert.doesNotMatch(view, /enableCommandUris\s*:\s*true/, 'no command URIs in the webview');
    assert.doesNotMatch(view, /Math\.random/, 'the nonce is not from Math.random');
    assert.match(view, /randomBytes\(|getRandomValues\(|randomUUID\(/, 'the nonce is from a CSPRNG');
  });

  it('the view class has no optional fields; it is disposed with its webview', () => {
    const body = view.slice(view.indexOf('export class RooflineView'));
    assert.doesNotMatch(body, /^\s*(private|readonly|public|protected)?\s*(readonly\s+)?\w+\?\s*:/m, 'no `field?:`');
    assert.match(body, /panel\.onDidDispose\(\(\) => this\.dispose\(\)\)/);
  });

  it('no test hooks in the production classes; the test commands are registered by the test-support module only', () => {
    for (const rel of ['src/editor/rooflinePanel.ts', 'src/editor/panel/view.ts', 'src/editor/panel/exports.ts', 'src/editor/panel/gpuPicker.ts', 'src/editor/panel/subject.ts']) {
      const text = source(rel);
      assert.doesNotMatch(text, /_lastPanelState|_panelTest|nextSaveUri|reviveForTest|snapshot\(/, rel);
    }
    const support = source('src/editor/panel/testSupport.ts');
    assert.match(support, /'inferenceBudget\._lastPanelState'/);
    assert.match(support, /'inferenceBudget\._panelTest'/);
    assert.match(source('src/editor/rooflinePanel.ts'), /extensionMode !== vscode\.ExtensionMode\.Production/);
  });

  it('the panel keeps no roofline arithmetic of its own: series and state read src/core', () => {
    const series = source('src/panel/series.ts');
    assert.match(series, /from '\.\.\/core\/roofline'/);
    assert.doesNotMatch(series, /Math\.min\(peak|peak \/ bandwidth|distinctExperts|decodeOperator/);
    const state = source('src/panel/state.ts');
    assert.match(state, /decodeOperatorPointsOfReport/);
    assert.doesNotMatch(state, /from '\.\/series'/);
  });
});
