/**
 * The end of every generator: write the file, or with `--check` say whether the
 * checked-in one is current and exit 1 when it is not (CI runs the checks).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/** `what` describes the written file in the message (default: its path). */
export function writeGenerated(file: string, text: string, script: string, what = file): void {
  if (process.argv.includes('--check')) {
    if (!existsSync(file) || readFileSync(file, 'utf8') !== text) {
      console.error(`${file} is out of date: run npx tsx ${script}`);
      process.exit(1);
    }
    console.log(`${file} is up to date`);
    return;
  }
  writeFileSync(file, text);
  console.log(`wrote ${what}`);
}
