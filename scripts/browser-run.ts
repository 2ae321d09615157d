/**
 * Runs the browser suite once outside jest and prints one line per case
 * (what test/browser.test.ts asserts), the slowest cases and any stray
 * console errors. Usage: npx tsx scripts/browser-run.ts [--help] [--grep=TEXT] [plan | variant ...]
 * e.g. `float16`, or `webgl` and `"webgl composite"` (variant ids in protocol.ts).
 */
import * as path from 'path';
import {runBrowserSuite, findChromium} from '../tools/browser/harness';
import {ALL_PAGE_PLANS} from '../tools/browser/protocol';

function usage(): string {
  return ['npx tsx scripts/browser-run.ts [--help] [--grep=TEXT] [plan | variant ...]',
    '  (no plan or variant: all of them; --grep=TEXT: only cases whose name contains TEXT)',
    ...ALL_PAGE_PLANS.map(p => `  plan ${JSON.stringify(p.id)}: variants ${p.variants.map(v => JSON.stringify(v.id)).join(', ')}`)].join('\n');
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    console.log(usage());
    return;
  }
  const grep = args.find(a => a.startsWith('--grep='))?.slice('--grep='.length);
  const wanted = args.filter(a => !a.startsWith('--grep='));
  const known = new Set(ALL_PAGE_PLANS.flatMap(p => [p.id, ...p.variants.map(v => v.id)]));
  const unknown = wanted.filter(w => !known.has(w));
  if (unknown.length > 0) {
    throw new Error(`unknown plan or variant ${unknown.map(u => JSON.stringify(u)).join(', ')}\n${usage()}`);
  }
  const executablePath = findChromium();
  if (executablePath == null) throw new Error('no Chromium found (apt-get install chromium, or set CHROMIUM_PATH)');
  const byVariant = ALL_PAGE_PLANS.flatMap(p => p.variants.map(v => v.id)).filter(v => wanted.includes(v));
  const plans = wanted.length === 0 ? ALL_PAGE_PLANS :
      ALL_PAGE_PLANS.filter(p => wanted.includes(p.id) || p.variants.some(v => byVariant.includes(v.id)));
  const variants = byVariant.length > 0 ? [...byVariant, ...plans.filter(p => wanted.includes(p.id)).flatMap(p => p.variants.map(v => v.id))] : undefined;
  const run = await runBrowserSuite({
    executablePath,
    entry: path.join(__dirname, '..', 'test', 'browser', 'entry.ts'),
    plans,
    variants,
    grep,
    onResult: r => console.log(`${r.status.padEnd(19)} ${String(r.ms).padStart(6)} ms  ${r.variant} › ${r.name}` +
                               (r.status === 'fail' ? `\n    ${r.message?.split('\n')[0]}` : '')),
  });
  for (const line of run.log) console.log(line);
  for (const [key, errs] of run.caseErrors) console.log(`console errors in ${key.replace('\u0000', ' › ')}: ${errs.join(' | ')}`);
  for (const e of run.strayErrors) console.log(`stray: ${e}`);
  const all = [...run.results.values()];
  const slow = all.filter(r => r.ms > 0).sort((a, b) => b.ms - a.ms).slice(0, 8);
  console.log('slowest:', slow.map(r => `${r.variant} › ${r.name} ${r.ms} ms`).join('; '));
  const count = (s: string) => all.filter(r => r.status === s).length;
  console.log(`pass ${count('pass')}, fail ${count('fail')}, n/a ${count('not applicable')}, ` +
              `unavailable ${count('backend unavailable')}; wall ${(run.wallMs / 1000).toFixed(1)} s`);
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
