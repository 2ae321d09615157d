/**
 * One notion of "running in CI" for every suite that would otherwise skip
 * itself when its environment is missing (WebGPU in Node, Chromium): under
 * CI those suites run and fail instead of skipping. The one suite allowed to
 * skip under CI is tfjs-node's (test/kernels/tensorflow.test.ts): its install
 * downloads libtensorflow, which CI machines here cannot reach.
 *
 * CI is set by GitHub Actions, GitLab, CircleCI, Travis and most others, to
 * 'true' (or '1'); any value but '', '0' and 'false' counts.
 */
export function isCI(env: Record<string, string | undefined> = process.env): boolean {
  const v = (env.CI ?? '').trim().toLowerCase();
  return v !== '' && v !== '0' && v !== 'false';
}
