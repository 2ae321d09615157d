/**
 * The Node helper (kernels/webgpu/node_webgpu.ts, subpath `tfjs-fused-cross-entropy/node-webgpu`):
 * globals and navigator.gpu installed on import, ensureNodeWebGPU() activating
 * a webgpu backend whose device has `subgroups`, and its error when Dawn finds
 * no adapter (a real one: a child Node process whose Vulkan loader is pointed
 * at a driver file that does not exist).
 */
import {describeWebGPU} from '../../../tools/webgpu/node_webgpu_env';
import {ensureNodeWebGPU, nodeGPU} from '../../../kernels/webgpu/node_webgpu';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgpu';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';
import {spawnSync} from 'child_process';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '../../..');

describe('node-webgpu helper without an adapter', () => {
  test('ensureNodeWebGPU rejects with what to install, not "reading \'features\'"', () => {
    const script = `
      const {ensureNodeWebGPU} = require('./kernels/webgpu/node_webgpu.ts');
      require('@tensorflow/tfjs-backend-webgpu');
      ensureNodeWebGPU().then(() => { console.log('RESOLVED'); process.exit(0); },
                              e => { console.log('REJECTED ' + e.message); process.exit(0); });`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], {
      cwd: ROOT, encoding: 'utf8', timeout: 60000,
      env: {...process.env, VK_ICD_FILENAMES: '/nonexistent/vk_icd.json', VK_DRIVER_FILES: '/nonexistent/vk_icd.json'},
    });
    const out = `${r.stdout}${r.stderr}`;
    expect(out).toContain('REJECTED WebGPU: no adapter found');
    expect(out).toContain('apt-get install chromium libvulkan1');
    expect(out).not.toContain("reading 'features'");
  }, 60000);
});

describeWebGPU('node-webgpu helper with an adapter', () => {
  test('installs the WebGPU globals and navigator.gpu on import', () => {
    const g = globalThis as unknown as {navigator: {gpu: GPU}, GPUBufferUsage: {STORAGE: number}, GPUBuffer: unknown};
    expect(g.navigator.gpu).toBe(nodeGPU);
    expect(g.GPUBufferUsage.STORAGE).toBe(0x80);
    expect(typeof g.GPUBuffer).toBe('function');
  });

  test('ensureNodeWebGPU activates webgpu on a device with subgroups where the adapter has them', async () => {
    const info = await ensureNodeWebGPU();
    expect(tf.getBackend()).toBe('webgpu');
    const adapter = await nodeGPU.requestAdapter();
    const device = (tf.backend() as WebGPUBackend).device;
    expect(device.features.has('subgroups')).toBe(adapter!.features.has('subgroups'));
    expect(typeof info.vendor).toBe('string');
    const x = tf.add(tf.tensor1d([1, 2]), 1);
    expect(Array.from(await x.data())).toEqual([2, 3]);
    tf.removeBackend('webgpu');
    device.destroy();
  });
});
