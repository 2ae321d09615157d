/**
 * Test-side setup for WebGPU in Node (import FIRST, before
 * kernels/webgpu/node_webgpu.ts and @tensorflow/tfjs-backend-webgpu):
 *  - outside jest (tsx scripts), points the Vulkan loader at SwiftShader
 *    (from Debian's chromium) when no ICD is chosen and sets XDG_RUNTIME_DIR;
 *    under jest, jest.config.js does it (a test's process.env is a sandboxed
 *    copy that native code never sees);
 *  - probes, synchronously and in a child process with the real environment,
 *    whether Dawn finds an adapter, so suites decide at collection time.
 */
import {spawnSync} from 'child_process';
import {existsSync} from 'fs';
import {isCI} from '../ci';

export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

if (process.env.VK_ICD_FILENAMES == null && existsSync(SWIFTSHADER_ICD)) {
  process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
}
if (process.env.XDG_RUNTIME_DIR == null) {
  process.env.XDG_RUNTIME_DIR = '/tmp';
}

const PROBE = `import('webgpu').then(async ({create}) => {
  const a = await create([]).requestAdapter();
  console.log(a ? 'adapter ' + a.info.vendor + ' ' + a.info.architecture : 'no adapter');
  process.exit(a ? 0 : 3);
}).catch(e => { console.log(String(e)); process.exit(4); });`;

/** null when an adapter exists, else why not. */
function probe(): string | null {
  const r = spawnSync(process.execPath, ['-e', PROBE], {encoding: 'utf8', timeout: 60000});
  return r.status === 0 ? null : `${(r.stdout || '').trim()} ${(r.stderr || '').trim()}`.trim() || `exit ${r.status}`;
}

/** Why WebGPU is unusable here, or null when it is usable. */
export const webgpuUnavailable: string | null = probe();

/**
 * `describe` when WebGPU works; otherwise, outside CI, a loud warning and
 * `describe.skip`; under CI (isCI(), tools/ci.ts) the suite runs and fails.
 */
export function describeWebGPU(name: string, body: () => void): void {
  if (webgpuUnavailable != null && !isCI()) {
    console.warn(`\n*** SKIPPED "${name}": no WebGPU adapter in Node (${webgpuUnavailable}).\n` +
        '*** Install a Vulkan driver: apt-get install chromium libvulkan1 (SwiftShader at ' +
        `${SWIFTSHADER_ICD}), or Mesa >= 25 lavapipe. Under CI (tools/ci.ts) this fails instead. ***\n`);
    describe.skip(name, body);
    return;
  }
  describe(name, body);
}
