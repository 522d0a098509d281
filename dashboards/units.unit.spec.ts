import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SEED_FIGURES } from '../ingest/simulator/index.ts';
import { formatChineseUnits, formatThousands } from './units.ts';

describe('figures in 万/亿', () => {
  it('prints the seed figures as the articles do', () => {
    for (const figure of SEED_FIGURES.filter((f) => f.value >= 1e4)) assert.equal(formatChineseUnits(figure.value), figure.display, figure.name);
    assert.equal(formatChineseUnits(1_169_500), '116.95万');
    assert.equal(formatChineseUnits(1_748_000_000), '17.48亿');
    assert.equal(formatChineseUnits(940_000), '94万');
  });

  it('keeps numbers below 10,000 whole with separators, and rounds half away from zero', () => {
    assert.deepEqual([7_500, 1_760, 999, 0, 12.345, 9_999.996].map(formatChineseUnits), ['7,500', '1,760', '999', '0', '12.35', '10,000']);
    assert.deepEqual([11_650, 11_649, -11_650, 155_000_000, 100_000_000].map(formatChineseUnits), ['1.17万', '1.16万', '-1.17万', '1.55亿', '1亿']);
    assert.deepEqual([1_748_000_000, 12_345.678, -0.004].map(formatThousands), ['1,748,000,000', '12,345.68', '0']);
  });
});
