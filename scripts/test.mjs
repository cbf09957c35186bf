#!/usr/bin/env node
// Runs every test of the repository and ends with one line: `N passed, N failed, N skipped`.
// The type check counts as one test; every vitest test counts as one.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const resultsDir = join(root, '.test-results');
const jsonFile = join(resultsDir, 'vitest.json');
rmSync(resultsDir, { recursive: true, force: true });
mkdirSync(resultsDir, { recursive: true });

const extra = process.argv.slice(2);
let passed = 0;
let failed = 0;
let skipped = 0;

if (extra.length === 0) {
  console.log('> typecheck (tsc --noEmit)');
  const tsc = spawnSync('npx', ['tsc', '-p', 'tsconfig.json', '--noEmit'], { cwd: root, stdio: 'inherit' });
  if (tsc.status === 0) passed += 1;
  else failed += 1;
  // The console is browser code with its own compiler settings (DOM, JSX); it counts as one more.
  // (Its tests are type-checked by `npm run typecheck -w @longhand/console`.)
  console.log('> typecheck the console (tsc -p packages/console --noEmit)');
  const consoleTsc = spawnSync('npx', ['tsc', '-p', 'packages/console/tsconfig.json', '--noEmit'], { cwd: root, stdio: 'inherit' });
  if (consoleTsc.status === 0) passed += 1;
  else failed += 1;
}

// The console's browser tests load its build; build it once here (they rebuild a stale one
// themselves when run alone). A failed build fails those tests, so it is not counted apart.
if (extra.length === 0) {
  console.log('> build the console (vite build)');
  spawnSync('npm', ['run', 'build:console'], { cwd: root, stdio: 'inherit' });
}

console.log('> vitest run');
const vitest = spawnSync(
  'npx',
  ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${jsonFile}`, ...extra],
  { cwd: root, stdio: 'inherit' },
);

let report;
try {
  report = JSON.parse(readFileSync(jsonFile, 'utf8'));
} catch {
  report = undefined;
}
if (report) {
  passed += report.numPassedTests ?? 0;
  failed += report.numFailedTests ?? 0;
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  // A test file that fails to load has no tests to count; count it as one failure so it cannot hide.
  for (const file of report.testResults ?? []) {
    if (file.status === 'failed' && (file.assertionResults ?? []).every((t) => t.status !== 'failed')) failed += 1;
  }
} else {
  failed += 1;
}
if (vitest.status !== 0 && failed === 0) failed += 1;

console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed === 0 ? 0 : 1);
