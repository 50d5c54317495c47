// Public types of the document readers. Pure data: no vscode import, no I/O.
import type { BudgetInputs } from '../core/types';

/** Character offsets into the document text (`text.slice(start, end)`). */
export interface SourceRange { start: number; end: number }

/** Every kind of document the readers recognise (tests check readers answer only these). */
export const DOCUMENT_KINDS = [
  'hf-config', 'vllm-config', 'kubernetes', 'docker-compose', 'helm-vllm-stack', 'helm-ollama', 'modelfile', 'budget-file',
  // Operator resources and task files (src/formats/operators.ts) and Helm values of other charts (src/formats/helm.ts).
  'vllm-runtime', 'dynamo', 'ome-runtime', 'ray-service', 'skypilot', 'helm-values',
  'llm-inference-service', 'kubeai-model', 'kaito-workspace', 'llmaz-playground',
  // AIBrix StormService / RayClusterFleet (src/formats/aibrix.ts).
  'aibrix',
] as const;

export type DocumentKind = typeof DOCUMENT_KINDS[number];

export type ServingEngine = 'vllm' | 'sglang' | 'tgi' | 'llamacpp' | 'ollama';

export type InputKey = keyof BudgetInputs;

export interface WorkloadSpec {
  promptTokens?: number;
  outputTokens?: number;
  targetConcurrency?: number;
  ttftMs?: number;
  tpotMs?: number;
}

/** One serving deployment found in a document. */
export interface DeploymentSpec {
  kind: DocumentKind;
  engine: ServingEngine;
  /** e.g. "Deployment/llama-8b · container vllm". */
  label: string;
  /** Model id or path as written; `range` covers the text of the name (inside quotes). */
  model?: { name: string; range: SourceRange };
  /** Values the document sets, mapped to the engine's meaning. */
  inputs: BudgetInputs;
  /** Range of each value as written (inside quotes, after `=` for `--flag=value`). */
  valueRanges: Partial<Record<InputKey, SourceRange>>;
  /** Range of the key / flag name / env var name / label key. */
  keyRanges: Partial<Record<InputKey, SourceRange>>;
  /** Where a CodeLens for this deployment goes (the container / service / model key). */
  anchor: SourceRange;
  /** Budget files only. */
  workload?: WorkloadSpec;
  /** The accelerator the deployment requests, when it is not an NVIDIA GPU (`google.com/tpu`, `amd.com/gpu`, ...). */
  accelerator?: { resource: string; name: string; range: SourceRange };
  /** The text of the deployment (container, service, model entry): comments inside it apply to it. */
  span?: SourceRange;
  /**
   * Flags (and engine environment variables) the deployment sets that the budget does not read and that may change
   * memory, as written, each once (the first 40; `more` counts the rest); `range` is the first of them.
   */
  unread?: { names: string[]; range: SourceRange; more?: number };
  /**
   * The script that starts the server (`command: ["/serve.sh"]` in an engine's image), when the file runs one
   * instead of the server's own command: the model and flags are in the script, not in the file.
   */
  launchScript?: { path: string; range: SourceRange };
  /** Opaque data `editForInput` needs. */
  edit: EditContext;
}

export interface FormatProblem {
  severity: 'error' | 'warning' | 'information';
  message: string;
  range: SourceRange;
}

export interface ParsedDocument {
  kind: DocumentKind | undefined;
  deployments: DeploymentSpec[];
  problems: FormatProblem[];
}

export interface TextEdit { range: SourceRange; newText: string }

export interface ConfigKeyRange { key: SourceRange; value: SourceRange; segments: readonly string[] }

export interface ModelConfigDocument {
  config: Record<string, unknown> | undefined;
  /**
   * JSON path (`text_config.num_key_value_heads`, array items by index) to key and value ranges (strings: inside
   * quotes). A key that itself holds `.` or `\\` is written with a backslash before each (`layers\\.0\\.ffn`), so
   * every path names one key; `segments` is the path as a list, as the JSON spells each key.
   */
  keyRanges: Map<string, ConfigKeyRange>;
  problems: FormatProblem[];
}

// ---------------------------------------------------------------------------
// Edit context. Opaque to callers: built by the readers, used by editForInput.

/** How text placed at a range must be written. */
export type ValueContext =
  | 'yaml-plain'     // a plain YAML scalar (the whole scalar is the range)
  | 'yaml-plain-string' // a plain YAML scalar that must stay a string (Kubernetes args and env values)
  | 'yaml-double'    // inside a double-quoted YAML scalar
  | 'yaml-single'    // inside a single-quoted YAML scalar
  | 'word';          // a command-line word (list item part or shell word): simple characters only

export interface InPlaceEdit {
  /** Every range that holds this value (e.g. GPU limits and requests); all are set. */
  targets: { range: SourceRange; context: ValueContext; exact: boolean }[];
  /** The document stores value / divisor (LeaderWorkerSet GPUs per pod). */
  divisor?: number;
  /** Text to keep before a version (`v` of an image tag `v0.19.0`). */
  versionOnly?: boolean;
  /**
   * The one target is a list of device ids (compose `device_ids`): a count N is written as the ids "0" … "N-1", in
   * the list's style (flow `["0", "1"]` or block items at `indent`, quoted with `quote`).
   */
  deviceIds?: { flow: boolean; indent: string; eol: string; quote: string };
}

/**
 * How a command spells the flags it gets: one insertion site serves every flag of a command, each flag's name
 * written from the input's key (`spelledFlag` in engines.ts) when it is inserted.
 */
export interface FlagSpelling { engine: ServingEngine; underscore: boolean }

/** Where and how a value absent from the document is inserted. */
export type Insertion =
  | {
      type: 'seq-items';            // new items in a YAML list of arguments
      at: number;
      flow: boolean;
      indent: string;               // block: indentation of the "-"
      eol: string;
      /** The flag's name as written, e.g. --max-model-len (absent: from `spelling` and the input's key). */
      flag?: string;
      spelling?: FlagSpelling;
      equals: boolean;              // --flag=value as one item
      flagQuote: string;            // '' | '"' | "'"
      valueQuote: string;
    }
  | {
      type: 'shell';                // appended to the command inside a string
      at: number;
      gap: string;                  // text before the new flag (" " or " \\\n    ")
      flag?: string;
      spelling?: FlagSpelling;
      equals: boolean;
      context: ValueContext;
    }
  | {
      type: 'map-key';              // a new key in a YAML mapping
      at: number;
      flow: boolean;
      indent: string;
      eol: string;
      key: string;
      /** Writes the value as a quoted string (env vars). */
      quoteValue?: boolean;
    }
  | {
      type: 'new-block';            // a new key holding a block (args list, section) in a mapping
      at: number;
      indent: string;               // of the new key
      childIndent: string;          // of the new children
      eol: string;
      parentKey: string;            // args / command / vllmConfig / engine / hardware / extraArgs
      list: boolean;                // children are list items (flag, value) or one "key: value"
      flag?: string;                // list: flag name (or from `spelling` and the input's key)
      spelling?: FlagSpelling;
      key?: string;                 // map: key name
      /** list: quote values (Kubernetes args must be strings). */
      quoteValues?: boolean;
    }
  | {
      type: 'line';                 // a new line after `at` (Modelfile `PARAMETER num_ctx 8192`)
      at: number;
      eol: string;
      prefix: string;               // the text before the value
    }
  | {
      type: 'env-item';             // a new `- name: X\n  value: "v"` item in a Kubernetes env list
      at: number;
      indent: string;
      innerIndent: string;          // of `value:` under `- name:`
      eol: string;
      name: string;
      valueQuote: string;
    };

export interface EditContext {
  inPlace: Partial<Record<InputKey, InPlaceEdit>>;
  insert: Partial<Record<InputKey, Insertion>>;
}
