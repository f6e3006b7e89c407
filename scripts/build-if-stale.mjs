// Builds with tsc only when a source changed since the last build, so `npm start` and `npm test` start at
// once when nothing did. Stale means: no stamp, a missing entry point, an input newer than the stamp, or
// a different set of input files (one added or removed).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const STAMP = 'dist/.build-stamp';
const inputs = ['tsconfig.json', 'package-lock.json', ...['src', 'scripts', 'test'].flatMap(function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
})].sort();
const fingerprint = createHash('sha256').update(inputs.join('\n')).digest('hex');

function stale() {
  if (!existsSync(STAMP) || !existsSync('dist/src/main.js')) return true;
  if (readFileSync(STAMP, 'utf8') !== fingerprint) return true;
  const built = statSync(STAMP).mtimeMs;
  return inputs.some((f) => statSync(f).mtimeMs > built);
}

if (stale()) {
  try {
    execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });
  } catch {
    process.exit(1); // tsc has said why
  }
  writeFileSync(STAMP, fingerprint);
}
