/**
 * JSON Schema for producers written in other languages, generated from the zod
 * schemas so the two cannot drift. The checked-in file is rewritten by
 * scripts/generate-json-schema.ts; a unit test fails when it is stale.
 */
import { z } from 'zod';
import { type Catalog, defaultCatalog } from './catalog.ts';
import { buildEventSchemas } from './events.ts';

export const JSON_SCHEMA_FILE = new URL('./json-schema/continuity-event.v1.schema.json', import.meta.url);

/** `json-schema/continuity-event.v<version>.schema.json`: one file per catalog version, the older ones kept for producers still on them. */
export function jsonSchemaFile(version: number): URL {
  return new URL(`./json-schema/continuity-event.v${version}.schema.json`, import.meta.url);
}

export function eventJsonSchema(version = 1, catalog: Catalog = defaultCatalog()): Record<string, unknown> {
  const union = buildEventSchemas(catalog, { forJsonSchema: true })
    .union(version)
    .meta({
      title: `continuity event, schema version ${version}`,
      description:
        'One event of the continuity catalog. Calendar validity of dates, and the org and region lists of an operator-extended catalog, are checked only by the ingest API.' +
        (version > 1 ? ` Catalog version ${version}: each type in its schema version ${version}, or its latest where it has no version ${version}; events of older versions are still accepted and upcast.` : ''),
      // OpenAPI-style hint for code generators; JSON Schema validators ignore it.
      discriminator: { propertyName: 'type' },
    });
  // `input`: what a producer sends, so fields with defaults (quantity) are optional.
  const { $schema, ...rest } = z.toJSONSchema(union, { io: 'input' }) as Record<string, unknown>;
  // Validators in strict mode (Ajv) want the type beside the discriminator.
  return { $schema, type: 'object', ...rest };
}

export function renderEventJsonSchema(version = 1): string {
  return `${JSON.stringify(eventJsonSchema(version), null, 2)}\n`;
}
