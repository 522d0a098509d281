#!/usr/bin/env node
// Runs every *.spec.ts below the project root with node:test, one process per
// file (chDB binds one data directory per process), after a type check.
// Usage: node scripts/run-tests.mjs [--unit|--int] [--no-typecheck] [path-filter...]
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { availableParallelism } from 'node:os';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const tier = args.includes('--unit') ? '.unit.spec.ts' : args.includes('--int') ? '.int.spec.ts' : '.spec.ts';
const filters = args.filter((a) => !a.startsWith('--'));
const skip = new Set(['node_modules', '.git', 'data', 'scratch', 'test-artifacts']);

function find(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (skip.has(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) find(path, out);
    else if (name.endsWith(tier)) out.push(relative(root, path));
  }
  return out;
}

const files = find(root).filter((f) => filters.length === 0 || filters.some((x) => f.includes(x))).sort();
if (files.length === 0) {
  console.error('no spec files matched');
  process.exit(1);
}

if (!args.includes('--no-typecheck')) {
  const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', root], { stdio: 'inherit' });
  if (tsc.status !== 0) process.exit(tsc.status ?? 1);
}

const concurrency = Math.max(1, Math.min(2, availableParallelism()));
const run = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files],
  { stdio: 'inherit', cwd: root, env: { ...process.env, CONTINUITY_TEST: '1' } },
);
process.exit(run.status ?? 1);
