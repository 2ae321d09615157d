/**
 * The jest side of a browser suite (test/browser.test.ts: webgl and webgpu;
 * test/browser_wasm.test.ts: tfjs-wasm): one jest test per (variant, case) of
 * the given page plans. The case names come from the registry, imported here
 * in Node at collection time; beforeAll runs those plans once in headless
 * Chromium (tools/browser/harness.ts) and each test asserts its case's
 * result. Console errors and page errors during a case fail that case;
 * outside any case they fail the last test.
 *
 * Without Chromium the suite is skipped with a loud message, unless CI=true,
 * where a missing browser fails.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {BrowserRun, findChromium, runBrowserSuite} from '../../tools/browser/harness';
import {isCI} from '../../tools/ci';
import {PagePlan, resultKey} from '../../tools/browser/protocol';
import {variantCases, variantEnv} from './variant_cases';
import {caseName} from '../spec/registry';
import {applies} from '../spec/run_case';

const MISSING = 'No Chromium found (looked at $CHROMIUM_PATH, /usr/bin/chromium, /usr/bin/chromium-browser, ' +
                '/usr/bin/google-chrome). Install it with `apt-get install chromium` (Debian) or set CHROMIUM_PATH.';

/**
 * Defines the jest suite `title` over `plans`; `what` names the backends in the skip message and
 * `logName` the page log's file in the temp folder.
 */
export function describeBrowserSuite(title: string, plans: PagePlan[], what: string, logName: string): void {
  const executablePath = findChromium();
  const CI = isCI();
  if (executablePath == null && !CI) {
    console.warn(`\n${'!'.repeat(78)}\n!! SKIPPING THE BROWSER SUITE (${what}): ${MISSING}\n${'!'.repeat(78)}\n`);
  }
  const suite = executablePath == null && !CI ? describe.skip : describe;

  suite(title, () => {
    let run: BrowserRun | null = null;

    beforeAll(async () => {
      if (executablePath == null) throw new Error(`CI=true and the browser suite cannot run: ${MISSING}`);
      run = await runBrowserSuite({executablePath, entry: path.join(__dirname, 'entry.ts'), plans});
      // The page's log (accuracy measurements, adapter info) goes to a file; FUSED_CE_TEST_VERBOSE=1 prints it.
      const logFile = path.join(os.tmpdir(), logName);
      fs.writeFileSync(logFile, run.log.join('\n') + '\n');
      const verbose = /^(true|1)$/i.test(process.env.FUSED_CE_TEST_VERBOSE ?? '');
      console.log(`browser suite (${what}) ran in ${(run.wallMs / 1000).toFixed(1)} s; page log: ${logFile}` +
                  (verbose ? `\n${run.log.join('\n')}` : ''));
    }, 10 * 60_000);

    for (const plan of plans) {
      for (const variant of plan.variants) {
        describe(variant.id, () => {
          for (const c of variantCases(variant)) {
            // A case whose `only` excludes this env (e.g. a cpu-only error
            // message) is not part of this variant: no test, not a skip.
            if (!applies(c, variantEnv(variant, plan))) continue;
            const name = caseName(c);
            it(name, () => {
              if (run == null) throw new Error('the browser run did not complete (see beforeAll)');
              const key = resultKey(variant.id, name);
              const r = run.results.get(key);
              if (r == null) throw new Error(`no result from the page (it stopped early?) ${run.strayErrors.join(' | ')}`);
              const errors = run.caseErrors.get(key) ?? [];
              if (r.status === 'fail') throw new Error(r.message);
              if (r.status !== 'pass') throw new Error(`${r.status}: ${r.message ?? ''}`);
              if (errors.length > 0) throw new Error(`console/page errors during the case:\n${errors.join('\n')}`);
            });
          }
        });
      }
    }

    it('no console or page errors outside the cases', () => {
      if (run == null) throw new Error('the browser run did not complete (see beforeAll)');
      if (run.strayErrors.length > 0) throw new Error(run.strayErrors.join('\n'));
    });
  });
}
