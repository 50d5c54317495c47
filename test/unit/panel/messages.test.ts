import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  isHostMessage, isPanelControls, isWebviewMessage, LIMITS, type PanelControls, type PanelState, PROTOCOL_VERSION,
} from '../../../src/panel/messages';

function findRoot(start: string): string {
  let dir = start;
  while (!fs.existsSync(path.join(dir, 'test', 'browser', 'fixtures', 'state.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('fixture not found');
    dir = up;
  }
  return dir;
}

const fixture: PanelState = JSON.parse(fs.readFileSync(path.join(findRoot(__dirname), 'test', 'browser', 'fixtures', 'state.json'), 'utf8'));

const controls: PanelControls = {
  gpus: ['h100-sxm'], gpuCount: 1, tensorParallel: 1, batch: 32, context: 8192, prompt: 1024,
  weightPrecision: 'auto', kvCacheDtype: 'auto',
};

/** A deep copy of the fixture state message with `edit` applied. */
function state(edit: (s: Record<string, any>) => void = () => {}): Record<string, any> {
  const msg = { type: 'state', version: PROTOCOL_VERSION, state: structuredClone(fixture) as Record<string, any> };
  edit(msg.state);
  return msg;
}

describe('panel messages: host → webview', () => {
  it('accepts the fixture state and an error', () => {
    assert.ok(isHostMessage(state()));
    assert.ok(isHostMessage({ type: 'error', message: 'The model could not be read.' }));
    assert.ok(isHostMessage({ type: 'error', message: '' }));
    assert.ok(isHostMessage(state((s) => { s.perGpu = []; })), 'no figures is a valid state');
    assert.ok(isHostMessage(state((s) => { s.source = 'bundled'; s.controls.model = 'llama-3.1-8b'; })));
  });

  it('rejects non-objects, unknown types and wrong versions', () => {
    for (const bad of [null, undefined, 'state', 42, [], [state()], { type: 'State' }, { type: 'rerender' }, { type: 'ready' }]) {
      assert.equal(isHostMessage(bad), false, JSON.stringify(bad));
    }
    assert.equal(isHostMessage({ ...state(), version: 2 }), false);
    assert.equal(isHostMessage({ ...state(), version: '1' }), false);
    const { version: _v, ...noVersion } = state();
    assert.equal(isHostMessage(noVersion), false);
    assert.equal(isHostMessage({ type: 'error', message: 42 }), false);
    assert.equal(isHostMessage({ type: 'error' }), false);
  });

  it('rejects extra keys at every level', () => {
    assert.equal(isHostMessage({ ...state(), extra: true }), false);
    assert.equal(isHostMessage(state((s) => { s.extra = 1; })), false);
    assert.equal(isHostMessage(state((s) => { s.controls.extra = 1; })), false);
    assert.equal(isHostMessage(state((s) => { s.perGpu[0].extra = 1; })), false);
    assert.equal(isHostMessage(state((s) => { s.perGpu[0].points[0].extra = 1; })), false);
    assert.equal(isHostMessage(state((s) => { s.perGpu[0].memory.extra = 1; })), false);
    assert.equal(isHostMessage({ type: 'error', message: 'x', stack: 'y' }), false);
  });

  it('rejects NaN, infinities, negatives and wrong types in figures', () => {
    const edits: [string, (s: Record<string, any>) => void][] = [
      ['NaN bandwidth', (s) => { s.perGpu[0].bandwidthBytesPerSecond = Number.NaN; }],
      ['infinite flops', (s) => { s.perGpu[0].points[0].flops = Number.POSITIVE_INFINITY; }],
      ['negative bytes', (s) => { s.perGpu[0].points[1].bytes = -1; }],
      ['string peak', (s) => { s.perGpu[0].roofs[0].peakFlopsPerSecond = '989e12'; }],
      ['NaN free memory', (s) => { s.perGpu[0].memory.freeBytes = Number.NaN; }],
      ['fits as string', (s) => { s.perGpu[0].fits = 'yes'; }],
      ['unknown point kind', (s) => { s.perGpu[0].points[0].kind = 'train'; }],
      ['unknown bound', (s) => { s.perGpu[0].points[0].bound = 'latency'; }],
      ['fractional throughput batch', (s) => { s.perGpu[0].throughput[0].batch = 1.5; }],
      ['negative max concurrency', (s) => { s.perGpu[0].maxConcurrency = -3; }],
      ['unknown source', (s) => { s.source = 'web'; }],
      ['title as number', (s) => { s.title = 7; }],
      ['missing summary', (s) => { delete s.perGpu[0].summary; }],
      ['option without name', (s) => { s.gpuOptions[0] = { id: 'h100' }; }],
      ['empty option id', (s) => { s.gpuOptions[0] = { id: '', name: 'x' }; }],
    ];
    for (const [name, edit] of edits) assert.equal(isHostMessage(state(edit)), false, name);
  });

  it('bounds arrays and strings', () => {
    const many = <T>(n: number, f: (i: number) => T) => Array.from({ length: n }, (_, i) => f(i));
    assert.ok(isHostMessage(state((s) => { s.gpuOptions = many(LIMITS.maxOptions, (i) => ({ id: `g${i}`, name: `G${i}` })); })));
    assert.equal(isHostMessage(state((s) => { s.gpuOptions = many(LIMITS.maxOptions + 1, (i) => ({ id: `g${i}`, name: `G${i}` })); })), false);
    assert.equal(isHostMessage(state((s) => { s.perGpu[0].points = many(LIMITS.maxPoints + 1, () => s.perGpu[0].points[0]); })), false);
    assert.equal(isHostMessage(state((s) => { s.perGpu = many(4, () => s.perGpu[0]); })), false);
    assert.equal(isHostMessage(state((s) => { s.perGpu[0].roofs = many(LIMITS.maxRoofs + 1, () => s.perGpu[0].roofs[0]); })), false);
    assert.equal(isHostMessage(state((s) => { s.title = 'x'.repeat(LIMITS.maxTitleLength + 1); })), false);
    assert.ok(isHostMessage(state((s) => { s.title = 'x'.repeat(LIMITS.maxTitleLength); })));
    assert.equal(isHostMessage(state((s) => { s.perGpu[0].points[0].label = 'x'.repeat(LIMITS.maxLabelLength + 1); })), false);
    assert.equal(isHostMessage({ type: 'error', message: 'x'.repeat(LIMITS.maxErrorLength + 1) }), false);
  });

  it('rejects objects that are not plain data', () => {
    class Msg { type = 'error'; message = 'x'; }
    assert.equal(isHostMessage(new Msg()), false);
    const withProto = Object.create({ polluted: true }) as Record<string, unknown>;
    withProto.type = 'error';
    withProto.message = 'x';
    assert.equal(isHostMessage(withProto), false);
    const nullProto = Object.assign(Object.create(null) as Record<string, unknown>, { type: 'error', message: 'x' });
    assert.ok(isHostMessage(nullProto));
  });
});

describe('panel messages: webview → host', () => {
  it('accepts the four message types', () => {
    assert.ok(isWebviewMessage({ type: 'ready' }));
    assert.ok(isWebviewMessage({ type: 'openDocument' }));
    assert.ok(isWebviewMessage({ type: 'controlsChanged', controls }));
    assert.ok(isWebviewMessage({ type: 'controlsChanged', controls: { ...controls, gpus: ['h100-sxm', 'h200', 'a100'], model: 'llama-3.1-8b' } }));
    assert.ok(isWebviewMessage({ type: 'export', format: 'svg', chart: 'roofline', data: '<svg xmlns="http://www.w3.org/2000/svg"/>' }));
    assert.ok(isWebviewMessage({ type: 'export', format: 'png', chart: 'memory', data: 'data:image/png;base64,iVBORw0KGgo=' }));
    assert.ok(isWebviewMessage({ type: 'export', format: 'csv', chart: 'throughput', data: 'a,b\r\n' }));
  });

  it('rejects malformed messages', () => {
    const bad: unknown[] = [
      null, 'ready', { type: 'ready', extra: 1 }, { type: 'state' }, { type: 'openDocument', path: '/etc/passwd' },
      { type: 'controlsChanged' },
      { type: 'controlsChanged', controls, extra: 1 },
      { type: 'export', format: 'jpg', chart: 'roofline', data: 'x' },
      { type: 'export', format: 'svg', chart: 'pie', data: 'x' },
      { type: 'export', format: 'svg', chart: 'roofline', data: 42 },
      { type: 'export', format: 'svg', chart: 'roofline', data: '' },
      { type: 'export', format: 'png', chart: 'roofline', data: 'javascript:alert(1)' },
      { type: 'export', format: 'png', chart: 'roofline', data: 'data:image/svg+xml;base64,PHN2Zy8+' },
    ];
    for (const m of bad) assert.equal(isWebviewMessage(m), false, JSON.stringify(m));
  });

  it('checks every control', () => {
    const edits: [string, Partial<Record<keyof PanelControls, unknown>>][] = [
      ['no GPU', { gpus: [] }],
      ['four GPUs', { gpus: ['a', 'b', 'c', 'd'] }],
      ['GPU id not a string', { gpus: [1] }],
      ['empty GPU id', { gpus: [''] }],
      ['long GPU id', { gpus: ['x'.repeat(LIMITS.maxIdLength + 1)] }],
      ['zero GPUs', { gpuCount: 0 }],
      ['fractional TP', { tensorParallel: 1.5 }],
      ['NaN batch', { batch: Number.NaN }],
      ['zero batch', { batch: 0 }],
      ['huge batch', { batch: LIMITS.maxBatch + 1 }],
      ['infinite context', { context: Number.POSITIVE_INFINITY }],
      ['negative prompt', { prompt: -1 }],
      ['string batch', { batch: '32' }],
      ['unknown precision', { weightPrecision: 'fp16' }],
      ['unknown KV dtype', { kvCacheDtype: 'int8' }],
      ['numeric model', { model: 3 }],
      ['empty model', { model: '' }],
    ];
    for (const [name, edit] of edits) {
      assert.equal(isPanelControls({ ...controls, ...edit }), false, name);
      assert.equal(isWebviewMessage({ type: 'controlsChanged', controls: { ...controls, ...edit } }), false, name);
    }
    assert.equal(isPanelControls({ ...controls, extra: 1 }), false);
    const { batch: _b, ...noBatch } = controls;
    assert.equal(isPanelControls(noBatch), false);
  });

  it('bounds the export payload', () => {
    const big = 'x'.repeat(LIMITS.maxExportDataLength + 1);
    assert.equal(isWebviewMessage({ type: 'export', format: 'csv', chart: 'roofline', data: big }), false);
  });
});
