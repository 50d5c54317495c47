// The command table: hover links carry only the hover commands, with the arguments we build, JSON and URI-encoded.
import * as assert from 'assert';
import { loadWithStub, makeVscodeStub } from '../cli/vscodeStub';

type Table = typeof import('../../../src/editor/commandTable');

describe('command table', () => {
  let t: Table;
  let restore: () => void;
  before(() => {
    const loaded = loadWithStub<Table>([require.resolve('../../../src/editor/commandTable')], makeVscodeStub());
    t = loaded.modules[0];
    restore = loaded.restore;
  });
  after(() => restore());

  it('hover links: `[title](command:id?<encoded JSON> "tooltip")`, decoded back to the same arguments', () => {
    const uri = "file:///ws/deploy/a b (copy)'s [1].yaml";
    const link = t.hoverCommandLink(t.COMMAND.compareGpus, 'Compare GPUs', [uri, 2], 'Say "which"');
    const m = /^\[Compare GPUs\]\(command:inferenceBudget\.compareGpus\?([^ )]+) "Say which"\)$/.exec(link);
    assert.ok(m, link);
    assert.deepStrictEqual(JSON.parse(decodeURIComponent(m[1])), [uri, 2]);
    // No characters that could end the link or start another inside the query.
    assert.ok(!/[()[\]\s"]/.test(m[1]), m[1]);
    assert.strictEqual(t.hoverCommandLink(t.COMMAND.selectGpu, 'Pick', []), '[Pick](command:inferenceBudget.selectGpu)');
  });

  it('refuses to link a command that is not a hover command', () => {
    assert.throws(() => t.hoverCommandLink(t.COMMAND.nameModel, 'x', ['u', 1, 0]), /not a hover command/);
  });

  it('vscode.Command objects carry the id, title and a copy of the arguments', () => {
    const args: [string, number] = ['file:///x.yaml', 0];
    const c = t.command(t.COMMAND.openRoofline, 'Open', args, 'tip');
    assert.deepStrictEqual(c, { command: 'inferenceBudget.openRoofline', title: 'Open', tooltip: 'tip', arguments: ['file:///x.yaml', 0] });
    assert.notStrictEqual(c.arguments, args);
  });

  it('every id is under the extension\'s prefix and unique', () => {
    const ids = Object.values(t.COMMAND);
    assert.strictEqual(new Set(ids).size, ids.length);
    for (const id of ids) assert.match(id, /^inferenceBudget\.[a-zA-Z]+$/);
    for (const id of t.HOVER_COMMAND_IDS) assert.ok(ids.includes(id));
  });
});
