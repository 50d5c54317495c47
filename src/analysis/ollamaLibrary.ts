// Ollama's library names (`llama3.1:8b`, `qwen2.5-coder:32b-instruct-q8_0`, `hf.co/unsloth/Qwen3-8B-GGUF:Q4_K_M`)
// as the Hugging Face model they are built from and their GGUF type, so a model Ollama pulls is looked up like any
// other. A library tag without a quantization is Ollama's default build, Q4_K_M; gpt-oss ships in its own MXFP4.
import { keyedTable } from '../core/keyedTable';

export interface OllamaModel {
  /** The Hugging Face model the library build comes from. */
  hubId: string;
  /** The GGUF type of the build (`q4_k_m`), undefined for the checkpoint's own weights (fp16 tags, gpt-oss). */
  quantization?: string;
  /** How the name was read, for people. */
  note: string;
}

interface Family { defaultSize: string; sizes: Record<string, string>; nativeWeights?: boolean }

const sizes = (pattern: (size: string) => string, list: string[]): Record<string, string> =>
  Object.fromEntries(list.map((s) => [s, pattern(s.toUpperCase())]));

/** Library models by name: their sizes (as Ollama tags them) and the model each size is built from. */
const LIBRARY: Readonly<Record<string, Family>> = keyedTable<Family>({
  'llama3.1': { defaultSize: '8b', sizes: { '8b': 'meta-llama/Llama-3.1-8B-Instruct', '70b': 'meta-llama/Llama-3.1-70B-Instruct', '405b': 'meta-llama/Meta-Llama-3.1-405B-Instruct' } },
  'llama3.2': { defaultSize: '3b', sizes: { '1b': 'meta-llama/Llama-3.2-1B-Instruct', '3b': 'meta-llama/Llama-3.2-3B-Instruct' } },
  'llama3.3': { defaultSize: '70b', sizes: { '70b': 'meta-llama/Llama-3.3-70B-Instruct' } },
  llama3: { defaultSize: '8b', sizes: { '8b': 'meta-llama/Meta-Llama-3-8B-Instruct', '70b': 'meta-llama/Meta-Llama-3-70B-Instruct' } },
  llama2: { defaultSize: '7b', sizes: { '7b': 'meta-llama/Llama-2-7b-chat-hf', '13b': 'meta-llama/Llama-2-13b-chat-hf', '70b': 'meta-llama/Llama-2-70b-chat-hf' } },
  llama4: { defaultSize: '16x17b', sizes: { '16x17b': 'meta-llama/Llama-4-Scout-17B-16E-Instruct', scout: 'meta-llama/Llama-4-Scout-17B-16E-Instruct', '128x17b': 'meta-llama/Llama-4-Maverick-17B-128E-Instruct', maverick: 'meta-llama/Llama-4-Maverick-17B-128E-Instruct' } },
  qwen3: { defaultSize: '8b', sizes: { ...sizes((s) => `Qwen/Qwen3-${s}`, ['0.6b', '1.7b', '4b', '8b', '14b', '32b']), '30b': 'Qwen/Qwen3-30B-A3B', '235b': 'Qwen/Qwen3-235B-A22B' } },
  'qwen2.5': { defaultSize: '7b', sizes: sizes((s) => `Qwen/Qwen2.5-${s}-Instruct`, ['0.5b', '1.5b', '3b', '7b', '14b', '32b', '72b']) },
  'qwen2.5-coder': { defaultSize: '7b', sizes: sizes((s) => `Qwen/Qwen2.5-Coder-${s}-Instruct`, ['0.5b', '1.5b', '3b', '7b', '14b', '32b']) },
  'qwen3-coder': { defaultSize: '30b', sizes: { '30b': 'Qwen/Qwen3-Coder-30B-A3B-Instruct', '480b': 'Qwen/Qwen3-Coder-480B-A35B-Instruct' } },
  qwq: { defaultSize: '32b', sizes: { '32b': 'Qwen/QwQ-32B' } },
  gemma3: { defaultSize: '4b', sizes: { ...sizes((s) => `google/gemma-3-${s.toLowerCase()}-it`, ['270m', '1b', '4b', '12b', '27b']) } },
  gemma2: { defaultSize: '9b', sizes: sizes((s) => `google/gemma-2-${s.toLowerCase()}-it`, ['2b', '9b', '27b']) },
  gemma: { defaultSize: '7b', sizes: sizes((s) => `google/gemma-${s.toLowerCase()}-it`, ['2b', '7b']) },
  mistral: { defaultSize: '7b', sizes: { '7b': 'mistralai/Mistral-7B-Instruct-v0.3' } },
  mixtral: { defaultSize: '8x7b', sizes: { '8x7b': 'mistralai/Mixtral-8x7B-Instruct-v0.1', '8x22b': 'mistralai/Mixtral-8x22B-Instruct-v0.1' } },
  'mistral-nemo': { defaultSize: '12b', sizes: { '12b': 'mistralai/Mistral-Nemo-Instruct-2407' } },
  'mistral-small': { defaultSize: '24b', sizes: { '22b': 'mistralai/Mistral-Small-Instruct-2409', '24b': 'mistralai/Mistral-Small-24B-Instruct-2501' } },
  phi3: { defaultSize: '3.8b', sizes: { '3.8b': 'microsoft/Phi-3-mini-4k-instruct', '14b': 'microsoft/Phi-3-medium-4k-instruct' } },
  'phi3.5': { defaultSize: '3.8b', sizes: { '3.8b': 'microsoft/Phi-3.5-mini-instruct' } },
  phi4: { defaultSize: '14b', sizes: { '14b': 'microsoft/phi-4' } },
  'gpt-oss': { defaultSize: '20b', sizes: { '20b': 'openai/gpt-oss-20b', '120b': 'openai/gpt-oss-120b' }, nativeWeights: true },
  'deepseek-r1': {
    defaultSize: '8b',
    sizes: {
      '1.5b': 'deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B', '7b': 'deepseek-ai/DeepSeek-R1-Distill-Qwen-7B', '8b': 'deepseek-ai/DeepSeek-R1-0528-Qwen3-8B',
      '14b': 'deepseek-ai/DeepSeek-R1-Distill-Qwen-14B', '32b': 'deepseek-ai/DeepSeek-R1-Distill-Qwen-32B', '70b': 'deepseek-ai/DeepSeek-R1-Distill-Llama-70B',
      '671b': 'deepseek-ai/DeepSeek-R1',
    },
  },
  'deepseek-v3': { defaultSize: '671b', sizes: { '671b': 'deepseek-ai/DeepSeek-V3' } },
  'granite3.3': { defaultSize: '8b', sizes: { '2b': 'ibm-granite/granite-3.3-2b-instruct', '8b': 'ibm-granite/granite-3.3-8b-instruct' } },
});

/** GGUF types in a tag (`q4_K_M`, `q8_0`, `fp16`). */
const QUANT = /(?:^|-)(q\d_[0-9a-z_]+|iq\d_[0-9a-z_]+|fp16|f16|bf16|mxfp4)$/i;

/** The build's GGUF type as the budget names it: undefined for 16-bit weights. */
function quantOf(tag: string | undefined, fallback: string | undefined): string | undefined {
  if (!tag) return fallback;
  const q = tag.toLowerCase();
  return /^(fp16|f16|bf16)$/.test(q) ? undefined : q;
}

/**
 * What an Ollama model name is built from. Undefined when it is not an Ollama name at all (a path, a URL); `known:
 * false` for a name in Ollama's form that is not in the table (a user's model, a library model not listed here).
 */
export function ollamaModel(name: string): ({ known: true } & OllamaModel) | { known: false } | undefined {
  let n = name.trim();
  if (n === '' || /^[./~]|^[a-z]+:\/\//i.test(n) || /\.gguf$/i.test(n)) return undefined;
  // Hugging Face GGUF repositories: `hf.co/{user}/{repo}[:{quant}]` (Ollama picks Q4_K_M when it is there).
  const hf = /^(?:hf\.co|huggingface\.co)\/([\w.-]+\/[\w.-]+)(?::([\w.-]+))?$/i.exec(n);
  if (hf) {
    const quantization = quantOf(hf[2], 'q4_k_m');
    return { known: true, hubId: hf[1], quantization, note: `${name} is the Hugging Face repository ${hf[1]} (${quantization ?? '16-bit'})` };
  }
  n = n.replace(/^(registry\.ollama\.ai\/|ollama\.com\/)?(library\/)?/i, '');
  const m = /^([a-z0-9][\w.-]*)(?::([\w.-]+))?$/i.exec(n);
  if (!m) return n.includes('/') ? { known: false } : undefined;
  const family = LIBRARY[m[1].toLowerCase()];
  if (!family) return { known: false };
  const tag = (m[2] ?? 'latest').toLowerCase();
  const size = tag === 'latest' ? family.defaultSize : Object.keys(family.sizes).find((s) => tag === s || tag.startsWith(`${s}-`)) ?? (QUANT.test(tag) && !/^\d/.test(tag) ? family.defaultSize : undefined);
  const hubId = size ? family.sizes[size] : undefined;
  if (!hubId) return { known: false };
  const quant = QUANT.exec(tag)?.[1];
  const quantization = quantOf(quant, family.nativeWeights ? undefined : 'q4_k_m');
  return {
    known: true, hubId, quantization,
    note: `${name} is Ollama's build of ${hubId} (${quantization ? quantization.toUpperCase() : family.nativeWeights ? 'its own weights' : '16-bit'})`,
  };
}
