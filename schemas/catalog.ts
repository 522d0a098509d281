/**
 * The org and region catalogs. Both are data: orgs come from
 * `catalog/orgs.json` plus an operator's optional file, regions from
 * `catalog/regions.json` (generated from GB/T 2260 by scripts/generate-regions.ts).
 * A new org therefore needs a file, not a release.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ContinuityError } from '../errors/registry.ts';
import { oneOf, reason } from './reasons.ts';

export const SERVICES = ['power', 'telecom', 'gas', 'water'] as const;
export type Service = (typeof SERVICES)[number];

/** An org's sector is the service it provides. */
export const SECTORS = SERVICES;
export type Sector = Service;

export const REGION_LEVELS = ['province', 'prefecture', 'county'] as const;
export type RegionLevel = (typeof REGION_LEVELS)[number];

export interface Org {
  code: string;
  name_zh: string;
  name_en: string;
  sector: Sector;
  /** The org this one belongs to (sgcc-sh → sgcc); absent for a top-level org. */
  parent?: string;
}

export interface Region {
  name_zh: string;
  level: RegionLevel;
  /** The province of a prefecture or county; null for a province. */
  parent: string | null;
}

export interface Catalog {
  /** Org code → org. A null-prototype object: `orgs['constructor']` is undefined. */
  readonly orgs: Readonly<Record<string, Org>>;
  /** 6-digit GB/T 2260 code → region. A null-prototype object. */
  readonly regions: Readonly<Record<string, Region>>;
  /** Codes in catalog order (built-ins first, then the operator's). */
  readonly orgCodes: readonly string[];
  /** Codes in ascending order. */
  readonly regionCodes: readonly string[];
  orgName(code: string): string | undefined;
  regionName(code: string): string | undefined;
}

const ORG_CODE = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

const orgSchema = z.strictObject({
  code: z
    .string({ error: (iss) => reason('a lowercase code such as "sgcc-sh"', iss.input) })
    .max(64, { error: (iss) => reason('a code of at most 64 characters', iss.input) })
    .regex(ORG_CODE, { error: (iss) => reason('a lowercase code of letters, digits and single hyphens such as "sgcc-sh"', iss.input) }),
  name_zh: z.string({ error: (iss) => reason('a non-empty string', iss.input) }).min(1, { error: (iss) => reason('a non-empty string', iss.input) }),
  name_en: z.string({ error: (iss) => reason('a non-empty string', iss.input) }).min(1, { error: (iss) => reason('a non-empty string', iss.input) }),
  sector: z.enum(SECTORS, { error: (iss) => oneOf(SECTORS, iss.input) }),
  parent: z.string({ error: (iss) => reason('an org code', iss.input) }).optional(),
});

function describeIssue(issue: z.core.$ZodIssue): string[] {
  if (issue.code === 'unrecognized_keys') return issue.keys.map((k) => `${[...issue.path, k].join('.')}: unknown field`);
  return [`${issue.path.length === 0 ? '$' : issue.path.join('.')}: ${issue.message}`];
}

function configError(origin: string, message: string): ContinuityError {
  return new ContinuityError('CONT_ERR_CONFIG_INVALID', `org catalog ${origin}: ${message}`);
}

/** Parses an org list (the shape of catalog/orgs.json), naming the entry and field of every problem. */
function parseOrgs(raw: unknown, origin: string): Org[] {
  if (!Array.isArray(raw)) throw configError(origin, 'must be a JSON array of orgs, e.g. [{ "code": "sgcc-bj", "name_zh": "国网北京市电力公司", "name_en": "State Grid Beijing", "sector": "power", "parent": "sgcc" }]');
  const problems: string[] = [];
  const orgs: Org[] = [];
  raw.forEach((entry, i) => {
    const parsed = orgSchema.safeParse(entry);
    const label = typeof (entry as { code?: unknown } | null)?.code === 'string' ? `entry ${i} ("${(entry as { code: string }).code}")` : `entry ${i}`;
    if (parsed.success) orgs.push(parsed.data);
    else for (const issue of parsed.error.issues) for (const d of describeIssue(issue)) problems.push(`${label}: ${d}`);
  });
  if (problems.length > 0) throw configError(origin, problems.join('; '));
  return orgs;
}

function readJson(file: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ContinuityError('CONT_ERR_CONFIG_INVALID', `${what} ${file} cannot be read: ${(error as Error).message}`, { cause: error });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ContinuityError('CONT_ERR_CONFIG_INVALID', `${what} ${file} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
}

function nullProto<T>(entries: Iterable<readonly [string, T]>): Record<string, T> {
  const out = Object.create(null) as Record<string, T>;
  for (const [k, v] of entries) out[k] = v;
  return Object.freeze(out);
}

function buildCatalog(orgList: Org[], regions: Record<string, Region>, origin: string): Catalog {
  const problems: string[] = [];
  const byCode = new Map<string, Org>();
  for (const org of orgList) {
    if (byCode.has(org.code)) problems.push(`org "${org.code}" is listed twice`);
    else byCode.set(org.code, Object.freeze({ ...org }));
  }
  for (const org of byCode.values()) {
    if (org.parent === undefined) continue;
    if (!byCode.has(org.parent)) {
      problems.push(`org "${org.code}": parent: unknown org "${org.parent}"`);
      continue;
    }
    // A cycle would make every roll-up by parent loop forever.
    const seen = new Set([org.code]);
    for (let p: string | undefined = org.parent; p !== undefined; p = byCode.get(p)?.parent) {
      if (seen.has(p)) {
        problems.push(`org "${org.code}": parent: "${org.parent}" leads back to "${p}" (parents must not form a cycle)`);
        break;
      }
      seen.add(p);
    }
  }
  if (problems.length > 0) throw configError(origin, problems.join('; '));

  const orgs = nullProto(byCode.entries());
  const regionTable = nullProto(Object.entries(regions));
  return Object.freeze({
    orgs,
    regions: regionTable,
    orgCodes: Object.freeze([...byCode.keys()]),
    regionCodes: Object.freeze(Object.keys(regionTable).sort()),
    orgName: (code: string) => orgs[code]?.name_zh,
    regionName: (code: string) => regionTable[code]?.name_zh,
  });
}

const BUILT_IN_ORGS = new URL('./catalog/orgs.json', import.meta.url);
const REGIONS = new URL('./catalog/regions.json', import.meta.url);

let builtIns: { orgs: Org[]; regions: Record<string, Region> } | undefined;

function loadBuiltIns() {
  if (builtIns === undefined) {
    const orgs = parseOrgs(JSON.parse(readFileSync(BUILT_IN_ORGS, 'utf8')), 'schemas/catalog/orgs.json');
    const regions = JSON.parse(readFileSync(REGIONS, 'utf8')) as Record<string, Region>;
    builtIns = { orgs, regions };
  }
  return builtIns;
}

let defaultInstance: Catalog | undefined;

/** The Chinese name of a region code, or undefined when the catalog lacks it. */
export function regionName(code: string, catalog: Catalog = defaultCatalog()): string | undefined {
  return catalog.regionName(code);
}

/** The Chinese name of an org code, or undefined when the catalog lacks it. */
export function orgName(code: string, catalog: Catalog = defaultCatalog()): string | undefined {
  return catalog.orgName(code);
}

/** The built-in orgs and every region; built once per process. */
export function defaultCatalog(): Catalog {
  if (defaultInstance === undefined) {
    const { orgs, regions } = loadBuiltIns();
    defaultInstance = buildCatalog(orgs, regions, 'schemas/catalog/orgs.json');
  }
  return defaultInstance;
}

/**
 * The built-in catalog merged with an operator's org file (same shape as
 * schemas/catalog/orgs.json). Throws CONT_ERR_CONFIG_INVALID naming the file,
 * the entry and the field of every problem.
 */
export function loadCatalog(options: { extraOrgsFile?: string } = {}): Catalog {
  if (options.extraOrgsFile === undefined) return defaultCatalog();
  const { orgs, regions } = loadBuiltIns();
  const origin = options.extraOrgsFile;
  const extra = parseOrgs(readJson(origin, 'org catalog'), origin);
  const builtInCodes = new Set(orgs.map((o) => o.code));
  const clashes = extra.filter((o) => builtInCodes.has(o.code)).map((o) => `org "${o.code}" is built in; choose another code`);
  if (clashes.length > 0) throw configError(origin, clashes.join('; '));
  return buildCatalog([...orgs, ...extra], regions, origin);
}

/** `build` run once per catalog, its result kept as long as the catalog lives. */
export function perCatalog<T>(build: (catalog: Catalog) => T): (catalog: Catalog) => T {
  const built = new WeakMap<Catalog, T>();
  return (catalog) => {
    let value = built.get(catalog);
    if (value === undefined) {
      value = build(catalog);
      built.set(catalog, value);
    }
    return value;
  };
}
