#!/usr/bin/env node
// Regenerates src/core/bundled-models.json from ../shared/model-configs: one entry per real HF config
// (its Hugging Face id from SOURCE.txt, where it comes from, the config, and the small side files that refine the
// estimate). The bundle lets the extension resolve well-known model ids offline. Run after the corpus changes, or
// after the engine starts reading a config key that ENGINE_KEYS lacks (test/unit/core/catalogFields.test.ts says so).
//
// Only what the engine reads is kept: the keys in ENGINE_KEYS (at any depth), every key of the objects the engine
// enumerates (ENUMERATED), and module-name lists written once per distinct name (MODULE_NAME_LISTS). Sizing an entry
// gives the report its verbatim corpus config gives (test/unit/core/catalogCompaction.test.ts).
//
// The file is a JSON array written one entry per line, each line starting with `{"id":"<id>"`, ASCII only: the
// loader (src/analysis/bundledCatalog.ts) indexes the ids in its bytes and parses an entry when it is first used.
'use strict';
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const SIDE = { 'hf_quant_config.json': 'hfQuantConfig', 'quantize_config.json': 'quantizeConfig' };

/**
 * Config keys the engine reads (src/core/normalize.ts, quantization.ts, speculative.ts, whatIf.ts,
 * modelResolution.ts's approximateParameters; src/analysis/fixes.ts's head counts read a few of the same), wherever
 * they are: at the top, in text_config/llm_config, rope_scaling, vision_config, block_configs, quantization_config
 * and the side files. catalogFields.test.ts records
 * what the engine asks of every corpus config (a Proxy over it, sized under several engines and settings) and fails
 * when it asks for a key this list lacks, or when the catalog keeps a key the engine never asked for.
 */
const ENGINE_KEYS = new Set([
  '_name_or_path', 'alibi', 'architectures', 'attention', 'attention_bias', 'attention_head_dim', 'attention_k_eq_v',
  'attention_window', 'attn_config', 'attn_output_gate', 'attn_res_block_size', 'attn_type_list', 'bias',
  'block_auto_adjust_ff_dim', 'block_configs', 'block_ff_dim', 'block_ffn_dim_multiplier', 'block_multiple_of',
  'compress_ratios', 'config_groups', 'conv_L_cache', 'conv_bias', 'conv_kernel', 'count', 'cross_attention_layers',
  'd_model', 'decoder_sparse_step', 'dense_intermediate_size', 'depth', 'dim', 'dtype', 'embedding_size', 'enable_bias',
  'enable_moe_block', 'exclude_modules', 'expansion_ratio', 'expert_dtype', 'factor', 'ffn', 'ffn_dim',
  'ffn_hidden_size', 'ffn_mult', 'first_k_dense_replace', 'format', 'full_attention_interval', 'full_attn_idxs',
  'gating', 'global_head_dim', 'group_size', 'hc_mult', 'head_dim', 'hidden_size', 'hidden_size_per_layer_input',
  'hybrid_override_pattern', 'ignore', 'image_size', 'in_channels', 'in_chans', 'index_head_dim', 'index_n_heads',
  'init_pos_emb_height', 'init_pos_emb_width', 'interleave_moe_layer_step', 'intermediate_size',
  'intermediate_size_mlp', 'kda_layers', 'kv_cache_quant_algo', 'kv_cache_scheme', 'kv_lora_rank', 'language_config',
  'latent_moe_use_norm', 'layer_types', 'layers_block_type', 'linear_attn_config', 'linear_conv_kernel_dim',
  'linear_key_head_dim', 'linear_num_key_heads', 'linear_num_value_heads', 'linear_value_head_dim', 'llm_config',
  'llm_int8_skip_modules', 'lm_head_bias', 'mamba_head_dim', 'mamba_num_heads', 'mamba_ssm_cache_dtype',
  'mamba_ssm_dtype', 'max_position_embeddings', 'max_seq_len', 'max_sequence_length', 'merge_kernel_size', 'metadata',
  'mla_use_output_gate', 'mlp_bias', 'mlp_layer_types', 'mlp_only_layers', 'model_type', 'modules_to_not_convert',
  'moe_intermediate_size', 'moe_latent_size', 'moe_layer_freq', 'moe_layers', 'moe_num_experts',
  'moe_shared_expert_intermediate_size', 'mtp_num_hidden_layers', 'multi_query', 'n_embd',
  'n_embed', 'n_groups', 'n_head', 'n_head_kv', 'n_heads', 'n_heads_in_group', 'n_inner', 'n_kv_heads', 'n_layer',
  'n_layers', 'n_positions', 'n_routed_experts', 'n_shared_experts', 'new_decoder_architecture', 'no_bias', 'no_op',
  'num_attention_heads', 'num_attention_heads_per_layer', 'num_bits', 'num_channels', 'num_experts',
  'num_experts_per_tok', 'num_experts_per_token', 'num_global_key_value_heads', 'num_global_layers', 'num_hash_layers',
  'num_heads', 'num_hidden_layers', 'num_key_value_heads', 'num_kv_heads', 'num_kv_shared_layers', 'num_layers',
  'num_local_experts', 'num_mtp_layers', 'num_nextn_predict_layers', 'num_shared_experts', 'o_groups', 'o_lora_rank',
  'original_max_position_embeddings', 'out_hidden_size', 'pad_vocab_size_multiple', 'parallel_attn',
  'partial_rotary_factor', 'patch_size', 'position_embedding_size', 'q_lora_rank', 'qk_layernorm', 'qk_nope_head_dim',
  'qk_rope_head_dim', 'qkv_bias', 'qkv_hidden_size', 'quant_algo', 'quant_method', 'quantization',
  'quantization_config', 'quantized_layers', 'replace_with_linear', 'rope_parameters', 'rope_scaling', 'rope_type',
  'rotary_dim', 'rotary_pct', 'routed_expert_hidden_size', 'score_func', 'scoring_func', 'seq_length',
  'shared_expert_intermediate_size', 'shared_intermediate_size', 'short_conv_kernel_size', 'sliding_window',
  'sliding_window_pattern', 'sparse_attention_config', 'sparse_attention_freq', 'sparse_index_dim',
  'sparse_num_index_heads', 'spatial_merge_size', 'ssm_state_size', 'state_size', 'targets', 'temporal_patch_size',
  'text_config', 'tie_word_embeddings', 'time_step_rank', 'top_k_experts', 'topk_method', 'torch_dtype', 'total_size',
  'type', 'use_bias', 'use_conv_bias', 'use_double_wide_mlp', 'use_full_rank_gate', 'use_norm_bias',
  'use_parallel_residual', 'use_qk_norm', 'use_qkv_bias', 'use_routing_bias', 'use_sliding_window',
  'use_sparse_attention', 'v_head_dim', 'vision_config', 'vision_output_dim', 'vocab_size', 'vt_hidden_size',
  'vt_intermediate_size', 'vt_num_hidden_layers', 'weights',
]);

/**
 * Objects the engine enumerates (Object.keys/values, or a copy by spread), so every key of theirs counts: compressed-
 * tensors `config_groups`, ModelOpt's `quantized_layers`, hf_quant_config's `quantization` and a quantization_config
 * that DeepSeek-V4's `expert_dtype` is merged into; and quantize_config.json, which normalizeConfig copies whole
 * when config.json has no quantization_config. Their values are trimmed like any other object.
 */
const ENUMERATED = new Set(['config_groups', 'quantization', 'quantization_config', 'quantized_layers', 'quantizeConfig']);

/**
 * Lists of module names that the engine reads only for the parts they name (src/core/quantization.ts: `excluding`
 * maps a skip list to attention / shared-expert / MLP; `targetRoles` maps compressed-tensors targets to roles), never
 * for a layer or expert index. A number between dots becomes `*` and repeats are dropped
 * (`model.layers.0.self_attn.q_proj` … `model.layers.77.self_attn.q_proj` → `model.layers.*.self_attn.q_proj`).
 */
const MODULE_NAME_LISTS = new Set(['modules_to_not_convert', 'ignore', 'exclude_modules', 'llm_int8_skip_modules', 'targets']);

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

/** A module-name list with numbers between dots written `*`, each distinct name once, in first-seen order. */
function compactModuleNames(list) {
  const seen = new Set();
  const out = [];
  for (const item of list) {
    const name = typeof item === 'string' ? item.replace(/(?<=\.)\d+(?=\.|$)/g, '*') : item;
    const key = typeof name === 'string' ? `s${name}` : `j${JSON.stringify(name)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(name);
  }
  return out;
}

/** `value` (found under `key`) with only what the engine reads; `allKeys`: its keys are enumerated, keep them all. */
function trimValue(value, key, allKeys) {
  if (Array.isArray(value)) {
    const items = value.map((v) => trimValue(v, undefined, false));
    return MODULE_NAME_LISTS.has(key) ? compactModuleNames(items) : items;
  }
  if (!value || typeof value !== 'object') return value;
  const source = key === 'quantized_layers' ? compactQuantizedLayers(value) : value;
  const out = {};
  for (const [k, v] of Object.entries(source)) {
    if (allKeys || ENGINE_KEYS.has(k)) out[k] = trimValue(v, k, ENUMERATED.has(k));
  }
  return out;
}

/** A config.json as the catalog keeps it. */
function trimConfig(config) {
  return trimValue(config, undefined, false);
}

/** A side file (`hfQuantConfig`, `quantizeConfig`, `safetensorsIndex`, `pytorchIndex`) as the catalog keeps it. */
function trimSideFile(key, value) {
  return trimValue(value, key, ENUMERATED.has(key));
}

/** `_partial/` copies whose values are intact (re-saved, re-indented, inline lists): their SOURCE.txt note says how. */
function provenanceOf(family, source) {
  if (!family.startsWith('_')) return 'verbatim';
  const note = /note:\s*(.+)/.exec(source);
  return `partial copy (values intact): ${note ? note[1].trim().slice(0, 300) : 'see SOURCE.txt'}`;
}

/** The catalog entries of a corpus folder, trimmed, one per id. */
function catalogEntries(corpus) {
  const entries = [];
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
      // The loader reads an id from the text without parsing the entry: no quote, backslash or line break in it.
      if (!/^[^"\\\u0000-\u001f\u007f-\uffff]+$/.test(id)) throw new Error(`${dir}: the id ${JSON.stringify(id)} cannot be written plainly`);
      const entry = { id, folder: `${family}/${model}`, provenance: provenanceOf(family, source), config: trimConfig(parseLenient(fs.readFileSync(configFile, 'utf8'))) };
      const files = {};
      for (const [name, key] of Object.entries(SIDE)) {
        const f = path.join(dir, name);
        if (fs.existsSync(f)) files[key] = trimSideFile(key, parseLenient(fs.readFileSync(f, 'utf8')));
      }
      for (const name of ['model.safetensors.index.json', 'pytorch_model.bin.index.json']) {
        const f = path.join(dir, name);
        if (fs.existsSync(f)) {
          const key = name.startsWith('model.') ? 'safetensorsIndex' : 'pytorchIndex';
          // Only the exact byte total is needed, not the tensor map.
          files[key] = trimSideFile(key, { metadata: parseLenient(fs.readFileSync(f, 'utf8')).metadata });
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
  return entries.filter((e) => (seen.has(e.id) ? false : (seen.add(e.id), true)));
}

/** The file's text: a JSON array, one entry a line, ASCII only (non-ASCII written \uXXXX, so V8 reads one-byte text). */
function catalogText(entries) {
  const ascii = (s) => s.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `[\n${entries.map((e) => ascii(JSON.stringify(e))).join(',\n')}\n]\n`;
}

module.exports = { ENGINE_KEYS, ENUMERATED, MODULE_NAME_LISTS, trimConfig, trimSideFile, compactQuantizedLayers, compactModuleNames, catalogEntries, catalogText };

if (require.main === module) {
  const corpus = process.env.INFERENCE_BUDGET_SHARED
    ? path.join(process.env.INFERENCE_BUDGET_SHARED, 'model-configs')
    : path.resolve(root, '..', 'shared', 'model-configs');
  const entries = catalogEntries(corpus);
  const text = catalogText(entries);
  fs.writeFileSync(path.join(root, 'src', 'core', 'bundled-models.json'), text);
  console.log(`bundled ${entries.length} model configs from ${corpus} (${(text.length / 1024).toFixed(0)} KiB)`);
}
