/**
 * 数据管道运行状况 — is the pipeline healthy: how fast events arrive, how long
 * they take to reach the warehouse, what was rejected, which producers went
 * quiet. Times are when the pipeline saw the events, not their business time.
 */
import type { Dashboard, Panel } from '../model.ts';
import { FILTERS, ORG_FILTER, sql } from './sql.ts';
import { orgVariable, regionVariable } from './variables.ts';

const INGESTED_IN_RANGE = '$__timeFilter(ingested_at)';
const RECEIVED_IN_RANGE = '$__timeFilter(received_at)';
// Percentiles sample by a hash of the event id: the same events give the same figure, however they are read.

const panels: Panel[] = [
  {
    kind: 'stat',
    id: 1,
    title: { zh: '入库事件', en: 'Events loaded' },
    description: { zh: '所选时段内被事件日志接收并已写入仓库的事件', en: 'Events the log accepted in the range and the warehouse holds' },
    unit: { zh: '条', en: 'events' },
    gridPos: { x: 0, y: 0, w: 6, h: 4 },
    sql: sql`
      SELECT count() AS value, continuity_cn_units(value) AS display
      FROM event_latency
      WHERE ${INGESTED_IN_RANGE}
        AND ${FILTERS}`,
  },
  {
    kind: 'stat',
    id: 2,
    title: { zh: '死信', en: 'Dead letters' },
    description: { zh: '所选时段内被拒收并留存原文和原因的输入', en: 'Input rejected in the range, kept with its reason' },
    unit: { zh: '条', en: 'letters' },
    gridPos: { x: 6, y: 0, w: 6, h: 4 },
    sql: sql`
      SELECT count() AS value, continuity_cn_units(value) AS display
      FROM dead_letters
      WHERE ${RECEIVED_IN_RANGE}`,
  },
  {
    kind: 'stat',
    id: 3,
    title: { zh: '处理延迟（95%）', en: 'Processing lag (95th percentile)' },
    description: { zh: '事件自日志接收至写入仓库的时间', en: 'Time from the log accepting an event to the warehouse holding it' },
    unit: { zh: '秒', en: 'seconds' },
    gridPos: { x: 12, y: 0, w: 6, h: 4 },
    sql: sql`
      SELECT quantileDeterministic(0.95)(processing_lag_s, cityHash64(id)) AS value,
             if(isFinite(value), toString(round(value, 2)), '—') AS display
      FROM event_latency
      WHERE ${INGESTED_IN_RANGE}
        AND ${FILTERS}`,
  },
  {
    kind: 'stat',
    id: 4,
    title: { zh: '最近入库', en: 'Last event loaded' },
    description: { zh: '最近一条事件写入仓库的时间（北京时间）', en: 'When the latest event reached the warehouse (China Standard Time)' },
    unit: { zh: '', en: '' },
    gridPos: { x: 18, y: 0, w: 6, h: 4 },
    sql: sql`
      SELECT toUnixTimestamp64Milli(max(loaded_at)) AS value,
             if(count() = 0, '—', formatDateTime(max(loaded_at), '%Y-%m-%d %H:%i:%S', 'Asia/Shanghai')) AS display
      FROM event_latency
      WHERE ${FILTERS}`,
  },
  {
    kind: 'timeseries',
    id: 5,
    title: { zh: '摄入速率', en: 'Ingest rate' },
    unit: { zh: '条/秒', en: 'events/s' },
    gridPos: { x: 0, y: 4, w: 12, h: 8 },
    interval: '10s',
    values: { rate: { zh: '入库速率', en: 'Events per second' } },
    sql: sql`
      SELECT $__timeInterval(ingested_at) AS time, count() / $__interval_s AS rate
      FROM event_latency
      WHERE ${INGESTED_IN_RANGE}
        AND ${FILTERS}
      GROUP BY time
      ORDER BY time`,
  },
  {
    kind: 'timeseries',
    id: 6,
    title: { zh: '处理延迟', en: 'Processing lag' },
    unit: { zh: '秒', en: 'seconds' },
    gridPos: { x: 12, y: 4, w: 12, h: 8 },
    interval: '10s',
    values: {
      p50: { zh: '中位数', en: 'Median' },
      p95: { zh: '95%', en: '95th percentile' },
    },
    sql: sql`
      SELECT $__timeInterval(ingested_at) AS time,
             quantileDeterministic(0.5)(processing_lag_s, cityHash64(id)) AS p50,
             quantileDeterministic(0.95)(processing_lag_s, cityHash64(id)) AS p95
      FROM event_latency
      WHERE ${INGESTED_IN_RANGE}
        AND ${FILTERS}
      GROUP BY time
      ORDER BY time`,
  },
  {
    kind: 'timeseries',
    id: 7,
    title: { zh: '死信（按来源）', en: 'Dead letters (by origin)' },
    unit: { zh: '条', en: 'letters' },
    gridPos: { x: 0, y: 12, w: 12, h: 8 },
    interval: '10s',
    series: { column: 'origin' },
    sql: sql`
      SELECT $__timeInterval(received_at) AS time, origin, count() AS value
      FROM dead_letters
      WHERE ${RECEIVED_IN_RANGE}
      GROUP BY time, origin
      ORDER BY time, origin`,
  },
  {
    kind: 'table',
    id: 8,
    title: { zh: '各生产系统最新事件', en: 'Last event per producer' },
    gridPos: { x: 12, y: 12, w: 12, h: 8 },
    columns: {
      source: { zh: '生产系统', en: 'Producer' },
      org: { zh: '单位', en: 'Org', codes: 'org' },
      events: { zh: '事件数', en: 'Events', format: 'number' },
      last_occurred_at: { zh: '最新业务时间', en: 'Latest business time', format: 'datetime' },
      last_ingested_at: { zh: '最近接收', en: 'Last accepted', format: 'datetime' },
      last_loaded_at: { zh: '最近入库', en: 'Last loaded', format: 'datetime' },
    },
    sql: sql`
      SELECT source, org, events, last_occurred_at, last_ingested_at, last_loaded_at
      FROM producers
      WHERE ${ORG_FILTER}
      ORDER BY last_ingested_at DESC, source, org`,
  },
  {
    kind: 'table',
    id: 9,
    title: { zh: '最近的死信', en: 'Latest dead letters' },
    gridPos: { x: 0, y: 20, w: 24, h: 8 },
    columns: {
      received_at: { zh: '时间', en: 'Received', format: 'datetime' },
      origin: { zh: '来源', en: 'Origin' },
      line: { zh: '行', en: 'Line', format: 'number' },
      reason: { zh: '原因', en: 'Reason' },
    },
    sql: sql`
      SELECT received_at, origin, line, reason
      FROM dead_letters
      WHERE ${RECEIVED_IN_RANGE}
      ORDER BY received_at DESC, id
      LIMIT 50`,
  },
];

export const pipelineHealth: Dashboard = {
  uid: 'continuity-pipeline',
  title: { zh: '数据管道运行状况', en: 'Pipeline health' },
  description: {
    zh: '摄入速率、处理延迟、死信和各生产系统的最新事件',
    en: 'Ingest rate, processing lag, dead letters and the last event of each producer',
  },
  tags: ['continuity', 'operations'],
  time: { from: 'now-6h', to: 'now' },
  presets: [
    { label: { zh: '最近 1 小时', en: 'Last hour' }, from: 'now-1h', to: 'now' },
    { label: { zh: '最近 6 小时', en: 'Last 6 hours' }, from: 'now-6h', to: 'now' },
    { label: { zh: '最近 24 小时', en: 'Last 24 hours' }, from: 'now-24h', to: 'now' },
    { label: { zh: '最近 7 天', en: 'Last 7 days' }, from: 'now-7d', to: 'now' },
  ],
  refresh: '30s',
  variables: [orgVariable, regionVariable],
  panels,
};
