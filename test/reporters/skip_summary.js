/**
 * Jest reporter: lists every skipped or todo test at the end of the run, after
 * jest's own summary, so a skipped suite is visible in the full run and not
 * only when its file runs alone. Under CI (CI=true or CI=1) only the tfjs-node
 * suite may skip (its install needs a host these machines cannot reach): any
 * other skipped test fails the run.
 */
const CI = /^(true|1)$/i.test(process.env.CI ?? '');
/** The one suite allowed to skip under CI: its describe title starts with this. */
const ALLOWED_SKIP = /^tensorflow backend\b/;

class SkipSummaryReporter {
  constructor() {
    this.error = undefined;
  }

  onRunComplete(_contexts, results) {
    const skipped = [];
    for (const file of results.testResults) {
      for (const t of file.testResults) {
        if (t.status === 'pending' || t.status === 'skipped' || t.status === 'todo') {
          skipped.push({file: file.testFilePath.replace(process.cwd() + '/', ''), name: t.fullName});
        }
      }
    }
    if (skipped.length === 0) {
      process.stdout.write('\nSkipped: none\n');
      return;
    }
    const suites = new Map();
    for (const s of skipped) {
      const key = `${s.file}: ${s.name}`;
      suites.set(key, (suites.get(key) ?? 0) + 1);
    }
    process.stdout.write(`\nSkipped: ${skipped.length} test(s)\n`);
    for (const [key, n] of suites) {
      process.stdout.write(`  SKIPPED ${n > 1 ? `${n}× ` : ''}${key}\n`);
    }
    const notAllowed = skipped.filter(s => !ALLOWED_SKIP.test(s.name));
    if (CI && notAllowed.length > 0) {
      this.error = new Error(`${notAllowed.length} test(s) skipped under CI, where only the tfjs-node suite may skip: ` +
          notAllowed.map(s => `${s.file}: ${s.name}`).join('; '));
      process.stdout.write(`  ERROR: ${this.error.message}\n`);
    }
  }

  getLastError() {
    return this.error;
  }
}

module.exports = SkipSummaryReporter;
