/**
 * tools/ci.ts: one notion of CI, and under it nothing skips but tfjs-node.
 * The second part reads the test sources: every file that can skip a suite
 * must decide with isCI() (or be the tfjs-node suite, the one allowed skip).
 */
import * as fs from 'fs';
import * as path from 'path';
import {isCI} from '../tools/ci';

test('isCI: CI=true and CI=1 (and other non-empty values) count; unset, empty, 0 and false do not', () => {
  for (const v of ['true', 'TRUE', '1', 'yes', 'woodpecker']) expect(isCI({CI: v})).toBe(true);
  for (const v of [undefined, '', ' ', '0', 'false', 'False']) expect(isCI({CI: v})).toBe(false);
});

/** Files under test/ (recursively), .ts only. */
function sources(dir: string): string[] {
  return fs.readdirSync(dir, {withFileTypes: true}).flatMap(e => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

test('every suite that can skip itself decides with isCI() (only tfjs-node may skip under CI)', () => {
  const allowed = new Set([path.join(__dirname, 'kernels', 'tensorflow.test.ts'), __filename]);
  const offenders: string[] = [];
  for (const file of sources(__dirname)) {
    if (allowed.has(file)) continue;
    const text = fs.readFileSync(file, 'utf8');
    const skips = /\b(describe|test|it)\.skip\b|\bx(describe|it|test)\(/.test(text);
    const rawCI = /process\.env\.CI\b/.test(text);
    if (rawCI || (skips && !/\bisCI\(\)/.test(text))) offenders.push(path.relative(__dirname, file));
  }
  expect(offenders).toEqual([]);
});
