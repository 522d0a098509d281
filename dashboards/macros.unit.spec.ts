/** The expansion of panel SQL as Grafana and the ClickHouse plugin do it, and its parameterised twin. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isContinuityError } from '../errors/registry.ts';
import { applyConditionalAll, expandLikeGrafana, expandWithParameters, intervalFor, parseTime, replaceVariables, roundInterval, type QueryContext } from './macros.ts';

// 2020-01-24T00:00:00+08:00 … 2020-02-01T23:59:59.999+08:00
const range = { from: 1579795200000, to: 1580572799999 };
const context = (variables: QueryContext['variables'], intervalMs = 3_600_000): QueryContext => ({ range, intervalMs, variables });
const ALL = { all: true } as const;

describe('$__conditionalAll (the plugin frontend)', () => {
  it('drops the condition when the variable is All or nothing is selected, keeps it otherwise', () => {
    const sql = 'WHERE $__conditionalAll(org IN (${org:singlequote}), $org) AND $__conditionalAll(province IN (${region:singlequote}), ${region})';
    assert.equal(applyConditionalAll(sql, { org: ALL, region: ALL }), 'WHERE 1=1 AND 1=1');
    assert.equal(applyConditionalAll(sql, { org: { all: false, values: [] }, region: ALL }), 'WHERE 1=1 AND 1=1');
    assert.equal(applyConditionalAll(sql, { org: { all: false, values: ['sgcc'] }, region: ALL }), 'WHERE org IN (${org:singlequote}) AND 1=1');
  });

  it('splits its arguments at the top-level comma, brackets nested or not', () => {
    const sql = "$__conditionalAll(concat(substring(region, 1, 2), '0000') IN (${region:singlequote}), $region)";
    assert.equal(applyConditionalAll(sql, { region: { all: false, values: ['420000'] } }), "concat(substring(region, 1, 2), '0000') IN (${region:singlequote})");
  });

  it('keeps the condition for a variable the dashboard does not have', () => {
    assert.equal(applyConditionalAll('$__conditionalAll(x = 1, $other)', { org: ALL }), 'x = 1');
  });
});

describe('template variables (Grafana templateSrv with the plugin format)', () => {
  it('quotes with the singlequote format, escaping quotes as Grafana does', () => {
    assert.equal(replaceVariables("IN (${org:singlequote})", context({ org: { all: false, values: ['sgcc', "o'x"] } })), "IN ('sgcc','o\\'x')");
  });

  it('formats several values quoted and one value as it is without a format', () => {
    assert.equal(replaceVariables('$org', context({ org: { all: false, values: ['a', 'b'] } })), "'a','b'");
    assert.equal(replaceVariables('[[org]]', context({ org: { all: false, values: ['a'] } })), 'a');
    assert.equal(replaceVariables('${org:sqlstring}', context({ org: { all: false, values: ["o'x"] } })), "'o''x'");
  });

  it('substitutes every option for All, and leaves macros and unknown names alone', () => {
    const ctx: QueryContext = { ...context({ org: ALL }), options: { org: ['csg', 'sgcc'] } };
    assert.equal(replaceVariables('org IN (${org:singlequote}) AND $__timeFilter(t) AND $other', ctx), "org IN ('csg','sgcc') AND $__timeFilter(t) AND $other");
    assert.throws(() => replaceVariables('${org:singlequote}', context({ org: ALL })), (e) => isContinuityError(e, 'CONT_ERR_CONFIG_INVALID'));
  });
});

describe('backend macros (the plugin, through sqlds)', () => {
  it('expands the time macros to whole seconds, milliseconds and UTC dates', () => {
    const out = expandLikeGrafana('$__timeFilter(ingested_at) | $__timeFilter_ms(t) | $__fromTime | $__toTime | $__fromTime_ms | $__toTime_ms | $__dateFilter(day)', context({}));
    assert.equal(
      out,
      'ingested_at >= toDateTime(1579795200) AND ingested_at <= toDateTime(1580572799) | ' +
        't >= fromUnixTimestamp64Milli(1579795200000) AND t <= fromUnixTimestamp64Milli(1580572799999) | ' +
        'toDateTime(1579795200) | toDateTime(1580572799) | fromUnixTimestamp64Milli(1579795200000) | fromUnixTimestamp64Milli(1580572799999) | ' +
        // The plugin's process runs in UTC: the 24th at 00:00 in Beijing is the 23rd.
        "day >= toDate('2020-01-23') AND day <= toDate('2020-02-01')",
    );
  });

  it('expands the interval macros, never below one second', () => {
    assert.equal(expandLikeGrafana('$__timeInterval(ts) / $__interval_s', context({}, 60_000)), 'toStartOfInterval(toDateTime(ts), INTERVAL 60 second) / 60');
    assert.equal(expandLikeGrafana('$__interval_s', context({}, 20)), '1');
    assert.equal(expandLikeGrafana('$__timeInterval_ms(ts)', context({}, 20)), 'toStartOfInterval(toDateTime64(ts, 3), INTERVAL 20 millisecond)');
  });

  it('keeps arguments with brackets and commas whole, and refuses a wrong count', () => {
    assert.equal(expandLikeGrafana("$__timeFilter(toDateTime(day, 'Asia/Shanghai'))", context({})), "toDateTime(day, 'Asia/Shanghai') >= toDateTime(1579795200) AND toDateTime(day, 'Asia/Shanghai') <= toDateTime(1580572799)");
    assert.throws(() => expandLikeGrafana('$__timeFilter(a, b)', context({})), /expects 1 argument, received 2/);
    assert.throws(() => expandLikeGrafana('$__timeFilter(a', context({})), /missing closing bracket/);
  });
});

describe('the parameterised expansion (the service)', () => {
  const sql = "SELECT 1 WHERE $__timeFilter(ingested_at) AND $__conditionalAll(org IN (${org:singlequote}), $org) AND day <= toDate($__toTime, 'Asia/Shanghai')";

  it('binds every value and bound as a parameter', () => {
    const out = expandWithParameters(sql, context({ org: { all: false, values: ["sgcc') OR 1=1 --"] } }));
    assert.equal(out.sql, "SELECT 1 WHERE ingested_at >= toDateTime({__from_s:Int64}) AND ingested_at <= toDateTime({__to_s:Int64}) AND org IN ({v_org:Array(String)}) AND day <= toDate(toDateTime({__to_s:Int64}), 'Asia/Shanghai')");
    assert.deepEqual(out.params, { v_org: ["sgcc') OR 1=1 --"], __from_s: 1579795200, __to_s: 1580572799 });
  });

  it('needs no value at all for All', () => {
    const out = expandWithParameters(sql, context({ org: ALL }));
    assert.match(out.sql, /AND 1=1 AND/);
    assert.equal('v_org' in out.params, false);
  });

  it('refuses a variable written any other way than ${name:singlequote}', () => {
    for (const form of ['org = $org', 'org IN (${org})', 'org IN ([[org]])', 'org IN (${org:csv})']) {
      assert.throws(() => expandWithParameters(form, context({ org: { all: false, values: ['sgcc'] } })), /write a variable as \$\{org:singlequote\}/, form);
    }
  });
});

describe('time and interval', () => {
  it('reads now, now-Nu, ISO times with an offset and epoch milliseconds', () => {
    const now = 1_700_000_000_000;
    assert.equal(parseTime('now', now), now);
    assert.equal(parseTime('now-6h', now), now - 6 * 3_600_000);
    assert.equal(parseTime('now-7d', now), now - 7 * 86_400_000);
    assert.equal(parseTime('2020-01-24T00:00:00+08:00', now), 1579795200000);
    assert.equal(parseTime('2020-02-01T15:59:59.999Z', now), 1580572799999);
    assert.equal(parseTime('1579795200000', now), 1579795200000);
    for (const bad of ['yesterday', '2020-01-24', '2020-01-24T00:00:00', 'now-6x', "now'"]) {
      assert.throws(() => parseTime(bad, now), (e) => isContinuityError(e, 'CONT_ERR_DASHBOARD_FILTER'), bad);
    }
  });

  it("rounds intervals as Grafana does and keeps the panel's minimum", () => {
    assert.equal(roundInterval(3_600), 5_000);
    assert.equal(roundInterval(21_600), 20_000);
    assert.equal(roundInterval(3_542_400), 3_600_000);
    assert.equal(roundInterval(10 ** 11), 31_536_000_000);
    assert.equal(intervalFor({ from: 0, to: 6 * 3_600_000 }, 1000), 20_000);
    assert.equal(intervalFor({ from: 0, to: 3_600_000 }, 1000, '10s'), 10_000);
  });
});
