/**
 * Writes docs/data-dictionary.md from a freshly migrated embedded warehouse
 * (in a temporary directory; the data directory is never touched).
 * Usage: npx tsx scripts/generate-data-dictionary.ts [--check]
 */
import { pathToFileURL } from 'node:url';
import { writeGenerated } from './write-generated.ts';
import { DATA_DICTIONARY_FILE, freshDataDictionary } from '../warehouse/data-dictionary.ts';

async function main() {
  const text = await freshDataDictionary();
  writeGenerated(DATA_DICTIONARY_FILE, text, 'scripts/generate-data-dictionary.ts');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
