// Independent arithmetic for the tests: KV cache and parameter counts written out from a config's shapes,
// the way the papers and model cards define them. Deliberately separate from src/core.
import * as fs from 'fs';

export type Config = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export function readConfig(file: string): Config {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/** K and V for every layer: 2 · layers · kv_heads · head_dim · bytes. */
export function kvBytesPerTokenGqa(c: Config, bytes = 2): number {
  const headDim = c.head_dim ?? c.hidden_size / c.num_attention_heads;
  return 2 * c.num_hidden_layers * c.num_key_value_heads * headDim * bytes;
}

/** The same model with one KV head per attention head (full multi-head attention). */
export function kvBytesPerTokenMha(c: Config, bytes = 2): number {
  return kvBytesPerTokenGqa({ ...c, num_key_value_heads: c.num_attention_heads }, bytes);
}

/** MLA (DeepSeek V2/V3): one latent of kv_lora_rank + qk_rope_head_dim per layer and token. */
export function kvBytesPerTokenMla(c: Config, bytes = 2): number {
  return c.num_hidden_layers * (c.kv_lora_rank + c.qk_rope_head_dim) * bytes;
}

/** Llama-style dense decoder: embeddings, attention, gated MLP, two RMSNorms per layer, final norm, LM head. */
export function llamaParameters(c: Config): number {
  const h = c.hidden_size;
  const headDim = c.head_dim ?? h / c.num_attention_heads;
  const q = h * c.num_attention_heads * headDim;
  const kv = 2 * h * c.num_key_value_heads * headDim;
  const o = c.num_attention_heads * headDim * h;
  const mlp = 3 * h * c.intermediate_size;
  const perLayer = q + kv + o + mlp + 2 * h;
  const embed = c.vocab_size * h;
  return c.num_hidden_layers * perLayer + embed * (c.tie_word_embeddings ? 1 : 2) + h;
}

/** Qwen3-MoE: Llama attention with q/k norms, a router and `num_experts` gated experts in every layer. */
export function qwen3MoeParameters(c: Config, experts: number = c.num_experts): number {
  const h = c.hidden_size;
  const d = c.head_dim;
  const attention = h * c.num_attention_heads * d + 2 * h * c.num_key_value_heads * d + c.num_attention_heads * d * h + 2 * d;
  const router = h * c.num_experts;
  const expert = 3 * h * c.moe_intermediate_size;
  const perLayer = attention + router + experts * expert + 2 * h;
  return c.num_hidden_layers * perLayer + c.vocab_size * h * (c.tie_word_embeddings ? 1 : 2) + h;
}
