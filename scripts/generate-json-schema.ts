/**
 * Writes schemas/json-schema/continuity-event.v1.schema.json from the zod
 * schemas, for producers that cannot import TypeScript.
 * Usage: npx tsx scripts/generate-json-schema.ts [--check]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { JSON_SCHEMA_FILE, renderEventJsonSchema } from '../schemas/json-schema.ts';

function main() {
  const file = fileURLToPath(JSON_SCHEMA_FILE);
  const text = renderEventJsonSchema(1);
  if (process.argv.includes('--check')) {
    if (readFileSync(file, 'utf8') !== text) {
      console.error(`${file} is out of date: run npx tsx scripts/generate-json-schema.ts`);
      process.exit(1);
    }
    console.log(`${file} is up to date`);
    return;
  }
  writeFileSync(file, text);
  console.log(`wrote ${file}`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main();
