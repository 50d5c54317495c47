// Quick-fix edits never go through a YAML alias (issue 11 item 4): `max-model-len: &l 8192` with
// `max-num-seqs: *l` shares one value, so an edit of either would change both; no edit is offered there.
import * as assert from 'assert';
import { editsForInput, parseDocument } from '../../../src/formats';
import { sharedThroughAlias } from '../../../src/formats/edits';

function firstSpec(fileName: string, text: string) {
  const spec = parseDocument(fileName, text).deployments[0];
  assert.ok(spec, 'a deployment is read');
  return spec;
}

describe('edits through YAML aliases', () => {
  const shared = 'model: meta-llama/Llama-3.1-8B-Instruct\nmax-model-len: &l 8192\nmax-num-seqs: *l\n';
  const plain = 'model: meta-llama/Llama-3.1-8B-Instruct\nmax-model-len: 8192\nmax-num-seqs: 8192\n';

  it('reads the aliased value for both keys', () => {
    const spec = firstSpec('vllm.yaml', shared);
    assert.strictEqual(spec.inputs.maxModelLen, 8192);
    assert.strictEqual(spec.inputs.maxNumSeqs, 8192);
  });

  it('offers no edit of the anchored value nor of the alias; the same file without the alias is edited', () => {
    const spec = firstSpec('vllm.yaml', shared);
    assert.strictEqual(editsForInput(shared, spec, 'maxModelLen', 4096), undefined);
    assert.strictEqual(editsForInput(shared, spec, 'maxNumSeqs', 64), undefined);
    const p = firstSpec('vllm.yaml', plain);
    const edits = editsForInput(plain, p, 'maxModelLen', 4096);
    assert.ok(edits && edits.length === 1);
    const after = plain.slice(0, edits[0].range.start) + edits[0].newText + plain.slice(edits[0].range.end);
    assert.strictEqual(after, 'model: meta-llama/Llama-3.1-8B-Instruct\nmax-model-len: 4096\nmax-num-seqs: 8192\n');
  });

  it('sharedThroughAlias: an alias site, an anchor some alias repeats, and an anchor nothing repeats', () => {
    const text = 'a: &x 1\nb: *x\nc: &y "2"\nd: 3\n';
    assert.ok(sharedThroughAlias(text, { start: text.indexOf('*x'), end: text.indexOf('*x') + 2 }));
    assert.ok(sharedThroughAlias(text, { start: text.indexOf('1'), end: text.indexOf('1') + 1 }));
    assert.ok(!sharedThroughAlias(text, { start: text.indexOf('2'), end: text.indexOf('2') + 1 }), '&y has no alias');
    assert.ok(!sharedThroughAlias(text, { start: text.indexOf('3'), end: text.indexOf('3') + 1 }));
  });
});
