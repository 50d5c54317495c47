// Large YAML inputs of the shapes that were slow (issue 11): a 200k-item block sequence (an `args:` list), the same
// as a flow sequence of quoted strings (compose), a 2 MB Pod, a 5 MB multi-document manifest, a 12,000-pod
// `kind: List` with one anchor, and a merge-key fan-out. `npm run bench` times `check` on each (target: under 2 s of
// CPU, under 1 GB); test/unit/formats/yaml-scale.test.ts checks that each is read whole.

const N = 200_000;

const podHead = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: big\nspec:\n  containers:\n  - name: vllm\n    image: vllm/vllm-openai:v0.19.0\n';

/** [file name, text, deployments read (-1: more than 1,000)]. */
export function largeYamlInputs(): [string, () => string, number][] {
  const pod = (i: number): string =>
    `- {apiVersion: v1, kind: Pod, metadata: {name: p${i}}, spec: {containers: [{name: c, image: vllm/vllm-openai, args: [--model, meta-llama/Llama-3.1-8B, --max-model-len, "8192"]}]}}\n`;
  const deployment = (d: number): string => [
    'apiVersion: apps/v1', 'kind: Deployment', 'metadata:', `  name: llm-${d}`, '  labels: {app: llm}', 'spec:', '  replicas: 1', '  template:',
    '    metadata:', '      labels:', '        app: llm', '    spec:', '      containers:', '        - name: vllm', '          image: vllm/vllm-openai:v0.19.0',
    '          args:', '            - --model', '            - meta-llama/Llama-3.1-8B', '            - --max-model-len', '            - "8192"', '          env:',
    ...Array.from({ length: 20 }, (_, i) => `            - name: E${i}\n              value: "v${i}"`),
    '          resources:', '            limits: {nvidia.com/gpu: "1"}', '',
  ].join('\n');
  const manifest = (bytes: number): string => {
    const parts: string[] = [];
    let size = 0;
    for (let d = 0; size < bytes; d++) { const s = deployment(d); parts.push(s); size += s.length + 4; }
    return parts.join('---\n');
  };
  const env = (bytes: number): string => {
    const parts: string[] = [];
    let size = 0;
    for (let i = 0; size < bytes; i++) { const s = `    - name: VAR_${i}\n      value: "value number ${i} with some text"\n`; parts.push(s); size += s.length; }
    return parts.join('');
  };
  let merge = 'm0: &m0 {a: 1, b: 2}\n';
  for (let k = 1; k <= 8; k++) merge += `m${k}: &m${k} {<<: [*m${k - 1}, *m${k - 1}, *m${k - 1}]}\n`;
  // [file name, text, deployments read]
  return [
    ['args-block.yaml', () => `${podHead}    args:\n    - --model\n    - meta-llama/Llama-3.1-8B\n${'    - --x\n'.repeat(N)}`, 1],
    ['docker-compose.yaml', () => `services:\n  vllm:\n    image: vllm/vllm-openai\n    command: ["--model", "meta-llama/Llama-3.1-8B", ${Array(N).fill('"--x"').join(', ')}]\n`, 1],
    ['pod-2mb.yaml', () => `${podHead}    args: [--model, meta-llama/Llama-3.1-8B]\n    env:\n${env(2_000_000)}`, 1],
    ['manifest-5mb.yaml', () => manifest(5_000_000), -1],
    ['list.yaml', () => ['apiVersion: v1\nkind: List\nmetadata: {annotations: {owner: &owner team}}\nitems:\n', ...Array.from({ length: 12_000 }, (_, i) => pod(i))].join(''), 12_000],
    ['merge-fan-out.yaml', () => `${merge}apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - image: vllm/vllm-openai\n    args: [--model, meta-llama/Llama-3.1-8B]\n`, 1],
  ];
}

