// The inferenceBudget.pricing setting: which price applies to a deployment's GPU, and what is refused.
import * as assert from 'assert';
import { configInputs, defaultSettings, deploymentInputs, pricePerGpuHourFor } from '../../../src/analysis/settings';

describe('settings: price per GPU-hour', () => {
  const s = defaultSettings({ pricing: { H100: 2.5, 'nvidia-l4': 0.7, '*': 1.9 } });

  it('matches a GPU under any of its names, else the "*" entry; nothing when the setting is empty', () => {
    assert.strictEqual(pricePerGpuHourFor(s, 'NVIDIA H100 80GB HBM3'), 2.5);
    assert.strictEqual(pricePerGpuHourFor(s, 'NVIDIA-L4'), 0.7);
    assert.strictEqual(pricePerGpuHourFor(s, 'A100 SXM 80GB'), 1.9);
    assert.strictEqual(pricePerGpuHourFor(s, 'no such accelerator'), 1.9);
    assert.strictEqual(pricePerGpuHourFor(defaultSettings(), 'H100'), undefined);
    assert.strictEqual(pricePerGpuHourFor(defaultSettings({ pricing: { L4: 0.7 } }), 'H100'), undefined);
  });

  it('fills the input for bare configs and deployments, and a price the document states wins', () => {
    assert.strictEqual(configInputs(defaultSettings({ pricing: { H100: 2.5 }, defaultGpu: 'H100' })).pricePerGpuHour, 2.5);
    assert.strictEqual(deploymentInputs(s, { gpu: 'L4' }).pricePerGpuHour, 0.7);
    assert.strictEqual(deploymentInputs(s, { gpu: 'L4', pricePerGpuHour: 0.5 }).pricePerGpuHour, 0.5);
  });

  it('reports entries that are not positive prices and keeps the rest', () => {
    const bad = defaultSettings({ pricing: { H100: -1, L4: '0.7', A10G: 1.2, '': 3 } });
    assert.deepStrictEqual([...bad.pricing], [['A10G', 1.2]]);
    assert.strictEqual(bad.invalidCustomGpus.length, 3);
    assert.ok(bad.invalidCustomGpus.every((m) => /^pricing\[/.test(m)), bad.invalidCustomGpus.join('\n'));
    const notObject = defaultSettings({ pricing: [2.5] });
    assert.strictEqual(notObject.pricing.size, 0);
    assert.match(notObject.invalidCustomGpus[0], /pricing must be an object/);
  });
});
