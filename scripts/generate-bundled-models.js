#!/usr/bin/env node
// Regenerates src/core/bundled-models.json from ../shared/model-configs: one entry per real HF config
// (its Hugging Face id from SOURCE.txt, the config, and the small side files that refine the estimate).
// The bundle lets the extension resolve well-known model ids offline. Run after the corpus changes.
'use strict';
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const corpus = process.env.INFERENCE_BUDGET_SHARED
  ? path.join(process.env.INFERENCE_BUDGET_SHARED, 'model-configs')
  : path.resolve(root, '..', 'shared', 'model-configs');
const SIDE = { 'hf_quant_config.json': 'hfQuantConfig', 'quantize_config.json': 'quantizeConfig' };

function parseLenient(text) {
  // Python's json writes Infinity/NaN (Nemotron-H); they carry no size information.
  return JSON.parse(text.replace(/(?<![\w"])-?(Infinity|NaN)(?![\w"])/g, 'null'));
}

/**
 * ModelOpt's `quantized_layers` names every expert of every layer (5,981 entries, 551 KB in Nemotron 3.5 Lightning
 * NVFP4). The engine reads a layer's role, its first algorithm and how many modules use each algorithm, so the
 * experts of one layer and projection with the same algorithm become one entry `...experts.*.down_proj` with a
 * `count`, in the order they first appear; other entries are kept as they are.
 */
function compactQuantizedLayers(layers) {
  if (!layers || typeof layers !== 'object' || Array.isArray(layers)) return layers;
  const out = {};
  const groups = new Map();
  for (const [name, entry] of Object.entries(layers)) {
    const pattern = name.replace(/\.experts\.\d+\./, '.experts.*.');
    const algo = entry && typeof entry === 'object' ? entry.quant_algo : undefined;
    if (pattern === name || typeof algo !== 'string') { out[name] = entry; continue; }
    const key = `${pattern}|${algo}`;
    const group = groups.get(key);
    if (group) { group.count++; continue; }
    const created = { quant_algo: algo, count: 1 };
    groups.set(key, created);
    out[pattern in out ? `${pattern}#${algo}` : pattern] = created;
  }
  return out;
}

function compactQuantConfig(qc) {
  const q = qc && (qc.quantization && typeof qc.quantization === 'object' ? qc.quantization : qc);
  if (q && q.quantized_layers) q.quantized_layers = compactQuantizedLayers(q.quantized_layers);
  return qc;
}

const entries = [];
/** `_partial/` copies whose values are intact (re-saved, re-indented, inline lists): their SOURCE.txt note says how. */
function provenanceOf(family, source) {
  if (!family.startsWith('_')) return 'verbatim';
  const note = /note:\s*(.+)/.exec(source);
  return `partial copy (values intact): ${note ? note[1].trim().slice(0, 300) : 'see SOURCE.txt'}`;
}
for (const family of fs.readdirSync(corpus).sort()) {
  const famDir = path.join(corpus, family);
  // _native-formats are DeepSeek's own ModelArgs files, not Hugging Face configs.
  if (!fs.statSync(famDir).isDirectory() || family === '_native-formats') continue;
  for (const model of fs.readdirSync(famDir).sort()) {
    const dir = path.join(famDir, model);
    const configFile = path.join(dir, 'config.json');
    if (!fs.existsSync(configFile)) continue;
    const source = fs.existsSync(path.join(dir, 'SOURCE.txt')) ? fs.readFileSync(path.join(dir, 'SOURCE.txt'), 'utf8') : '';
    const idMatch = /^HF model id:\s*([^\s(]+)/m.exec(source);
    const id = idMatch ? idMatch[1] : `${family}/${model}`;
    const entry = { id, folder: `${family}/${model}`, provenance: provenanceOf(family, source), config: parseLenient(fs.readFileSync(configFile, 'utf8')) };
    const files = {};
    for (const [name, key] of Object.entries(SIDE)) {
      const f = path.join(dir, name);
      if (fs.existsSync(f)) files[key] = parseLenient(fs.readFileSync(f, 'utf8'));
      if (key === 'hfQuantConfig') compactQuantConfig(files[key]);
    }
    for (const name of ['model.safetensors.index.json', 'pytorch_model.bin.index.json']) {
      const f = path.join(dir, name);
      if (fs.existsSync(f)) {
        const index = parseLenient(fs.readFileSync(f, 'utf8'));
        // Only the exact byte total is needed, not the tensor map.
        files[name.startsWith('model.') ? 'safetensorsIndex' : 'pytorchIndex'] = { metadata: index.metadata };
      }
    }
    if (Object.keys(files).length) entry.files = files;
    entries.push(entry);
  }
}
// Verbatim copies first, so that an id with both keeps the verbatim one.
entries.sort((a, b) => (a.provenance === 'verbatim' ? 0 : 1) - (b.provenance === 'verbatim' ? 0 : 1));
// Two folders may share an id (phi-4 and its early revision): keep the first, which is the current one.
const seen = new Set();
const unique = entries.filter((e) => (seen.has(e.id) ? false : (seen.add(e.id), true)));
fs.writeFileSync(path.join(root, 'src', 'core', 'bundled-models.json'), JSON.stringify(unique) + '\n');
console.log(`bundled ${unique.length} model configs from ${corpus}`);
