/**
 * CPU time of Chromium's GPU process, for timing WebGL work on SwiftShader
 * (which runs the shaders on that process's threads): unlike wall time, it
 * does not grow when other jobs share the cores. Linux /proc only.
 */
import * as fs from 'fs';

function ppidOf(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return -1;
  }
}

function cmdlineOf(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/** The pid of the GPU process of a Chromium launched (directly or not) by this Node process, or null. */
export function findGpuProcess(root = process.pid): number | null {
  const pids = fs.readdirSync('/proc').filter(d => /^\d+$/.test(d)).map(Number);
  const parent = new Map(pids.map(p => [p, ppidOf(p)]));
  const isDescendant = (p: number): boolean => {
    for (let q = parent.get(p), hops = 0; q != null && q > 1 && hops < 10; q = parent.get(q), hops++) {
      if (q === root) return true;
    }
    return false;
  };
  const gpu = pids.filter(p => isDescendant(p) && cmdlineOf(p).includes('--type=gpu-process'));
  return gpu.length === 1 ? gpu[0] : null;
}

/** CPU milliseconds consumed so far by every thread of `pid` (schedstat, ns resolution). */
export function cpuMsOf(pid: number): number {
  let ns = 0;
  for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(fs.readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // a thread that exited meanwhile
    }
  }
  return ns / 1e6;
}

/**
 * Samples cpuMsOf(pid) about every `everyMs` on a worker thread, stamped
 * with the epoch time in ms (performance.timeOrigin + performance.now(), the
 * clock a page on this machine can stamp with too). `stop()` ends it and
 * returns the [epochMs, cpuMs] samples; `cpuBetween` interpolates them.
 */
export function startCpuSampler(pid: number, everyMs = 1): {stop(): Promise<Array<[number, number]>>} {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const {Worker} = require('worker_threads') as typeof import('worker_threads');
  const code = `
    const {parentPort, workerData} = require('worker_threads');
    const fs = require('fs');
    const {pid, everyMs} = workerData;
    const cpu = () => {
      let ns = 0;
      for (const t of fs.readdirSync('/proc/' + pid + '/task')) {
        try { ns += Number(fs.readFileSync('/proc/' + pid + '/task/' + t + '/schedstat', 'utf8').split(' ')[0]); } catch {}
      }
      return ns / 1e6;
    };
    const samples = [];
    let stop = false;
    parentPort.on('message', () => { stop = true; });
    const sleeper = new Int32Array(new SharedArrayBuffer(4));
    (async function loop() {
      while (!stop) {
        samples.push([performance.timeOrigin + performance.now(), cpu()]);
        Atomics.wait(sleeper, 0, 0, everyMs);
        await new Promise(r => setImmediate(r));
      }
      parentPort.postMessage(samples);
    })();`;
  const worker = new Worker(code, {eval: true, workerData: {pid, everyMs}});
  return {
    stop: () => new Promise(resolve => {
      worker.once('message', (samples: Array<[number, number]>) => {
        void worker.terminate();
        resolve(samples);
      });
      worker.postMessage('stop');
    }),
  };
}

/** CPU ms between epoch times t0 and t1, linearly interpolated from sampler output. */
export function cpuBetween(samples: Array<[number, number]>, t0: number, t1: number): number {
  const at = (t: number): number => {
    let i = samples.findIndex(s => s[0] >= t);
    if (i < 0) return samples[samples.length - 1][1];
    if (i === 0) return samples[0][1];
    const [ta, ca] = samples[i - 1];
    const [tb, cb] = samples[i];
    return ca + (cb - ca) * (t - ta) / Math.max(tb - ta, 1e-9);
  };
  return at(t1) - at(t0);
}
