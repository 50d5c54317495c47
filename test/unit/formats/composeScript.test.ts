// A compose service built from an engine's image and started by a script it mounts (`build.args: BASE_IMAGE=…`,
// `entrypoint: [bash, -c]`, `command: [/serve.sh]`): the engine is recognised from the base image, its release from
// the tag, the GPUs from the reservation, and it is not sized because the model is in the script, said on the script.
import * as assert from 'assert';
import * as path from 'path';
import { parseDocument } from '../../../src/formats';
import { checkFiles } from '../../../src/cli/check';
import { tempTree } from '../cli/helpers';
import { slice } from './helpers';

const service = (baseImage: string, command = '["/serve.sh"]') => [
  'services:',
  '  endpoint:',
  '    build:',
  '      context: .',
  '      args:',
  `        - BASE_IMAGE=${baseImage}`,
  '    entrypoint: ["/bin/bash", "-c"]',
  `    command: ${command}`,
  '    deploy:',
  '      resources:',
  '        reservations:',
  '          devices:',
  '            - driver: nvidia',
  '              count: 2',
  '              capabilities: [gpu]',
  '',
].join('\n');

describe('formats: compose service started by a script in an engine image', () => {
  it('recognises vLLM and SGLang from the build\'s base image, with the release and the GPUs', () => {
    for (const [image, engine, version] of [['vllm/vllm-openai:v0.19.0', 'vllm', 'vllm@0.19.0'], ['lmsysorg/sglang:v0.5.2-cu126', 'sglang', 'sglang@0.5.2']] as const) {
      const text = service(image);
      const doc = parseDocument('docker-compose.yaml', text);
      assert.strictEqual(doc.deployments.length, 1, image);
      const [d] = doc.deployments;
      assert.strictEqual(d.engine, engine);
      assert.strictEqual(d.inputs.engine, version);
      assert.strictEqual(d.inputs.gpuCount, 2);
      assert.strictEqual(d.model, undefined);
      assert.strictEqual(d.launchScript?.path, '/serve.sh');
      assert.strictEqual(slice(text, d.launchScript!.range), '/serve.sh');
    }
  });

  it('a base image of no engine, or a command that is not a script, is not a deployment', () => {
    assert.deepStrictEqual(parseDocument('docker-compose.yaml', service('python:3.12-slim')).deployments, []);
    assert.deepStrictEqual(parseDocument('docker-compose.yaml', service('vllm/vllm-openai:v0.19.0', '["echo hello"]')).deployments, []);
  });

  it('check: not sized, with the reason on the script and a way to say the model', async () => {
    const dir = tempTree({ 'docker-compose.yaml': service('vllm/vllm-openai:latest') });
    const report = await checkFiles([path.join(dir, 'docker-compose.yaml')], { resolver: { workspaceFolders: [], env: {}, homeDir: dir } });
    const [d] = report.files[0].deployments;
    assert.strictEqual(d.engine, 'vllm');
    assert.strictEqual(d.sized, false);
    const why = d.diagnostics.find((x) => x.code === 'model-in-script');
    assert.ok(why, JSON.stringify(d.diagnostics));
    assert.match(why.message, /started by the script \/serve\.sh/);
    assert.match(why.message, /# inference-budget: model=/);
    assert.strictEqual(why.line, 8);
  });
});
