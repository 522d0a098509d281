/**
 * Writes docs/data-dictionary.md from a freshly migrated embedded warehouse
 * (in a temporary directory; the data directory is never touched).
 * Usage: npx tsx scripts/generate-data-dictionary.ts [--check]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { DATA_DICTIONARY_FILE, freshDataDictionary } from '../warehouse/data-dictionary.ts';

async function main() {
  const text = await freshDataDictionary();
  if (process.argv.includes('--check')) {
    if (readFileSync(DATA_DICTIONARY_FILE, 'utf8') !== text) {
      console.error(`${DATA_DICTIONARY_FILE} is out of date: run npx tsx scripts/generate-data-dictionary.ts`);
      process.exit(1);
    }
    console.log(`${DATA_DICTIONARY_FILE} is up to date`);
    return;
  }
  writeFileSync(DATA_DICTIONARY_FILE, text);
  console.log(`wrote ${DATA_DICTIONARY_FILE}`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
