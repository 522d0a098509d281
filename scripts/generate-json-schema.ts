/**
 * Writes schemas/json-schema/continuity-event.v<n>.schema.json (one per catalog version) from the zod
 * schemas, for producers that cannot import TypeScript.
 * Usage: npx tsx scripts/generate-json-schema.ts [--check]
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { catalogVersion } from '../schemas/events.ts';
import { jsonSchemaFile, renderEventJsonSchema } from '../schemas/json-schema.ts';

function main() {
  // One file per catalog version: producers still on an older version keep theirs.
  for (let version = 1; version <= catalogVersion(); version++) {
    const file = fileURLToPath(jsonSchemaFile(version));
    const text = renderEventJsonSchema(version);
    if (process.argv.includes('--check')) {
      if (!existsSync(file) || readFileSync(file, 'utf8') !== text) {
        console.error(`${file} is out of date: run npx tsx scripts/generate-json-schema.ts`);
        process.exit(1);
      }
      console.log(`${file} is up to date`);
      continue;
    }
    writeFileSync(file, text);
    console.log(`wrote ${file}`);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main();
