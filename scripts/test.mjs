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
