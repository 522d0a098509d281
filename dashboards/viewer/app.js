// The built-in viewer: renders the dashboards the service describes at
// /v1/dashboards/:uid with the rows of /v1/panels/:uid/:panel (the same SQL as
// the Grafana dashboards, run by the service with the filters as parameters).
// Charts are ECharts, loaded from the service (window.echarts).
import { formatChineseUnits, formatThousands } from './units.js';

const echarts = window.echarts;

const UI = {
  zh: {
    org: '单位', region: '地区', range: '时段', from: '自', to: '至', all: '全部', custom: '自定义',
    token: '访问令牌', 'use-token': '使用', loading: '加载中…', updated: '更新于', 'no-data': '无数据',
    'needs-token': '此服务需要具有 sql 权限的访问令牌。', error: '出错',
  },
  en: {
    org: 'Org', region: 'Region', range: 'Range', from: 'From', to: 'To', all: 'All', custom: 'Custom',
    token: 'Access token', 'use-token': 'Use', loading: 'Loading…', updated: 'Updated', 'no-data': 'No data',
    'needs-token': 'This service needs an access token with the sql scope.', error: 'Error',
  },
};

const CST = 'Asia/Shanghai';
const TOKEN_KEY = 'continuity.token';
const LANG_KEY = 'continuity.lang';

const state = {
  lang: localStorage.getItem(LANG_KEY) === 'en' ? 'en' : 'zh',
  dashboards: [],
  uid: null,
  dashboard: null,
  filters: { org: '', region: '', from: null, to: null, preset: '0' },
  charts: new Map(),
  results: new Map(),
  refreshTimer: null,
  generation: 0,
};

const $ = (id) => document.getElementById(id);
const t = (key) => UI[state.lang][key] ?? key;
const pick = (text) => (text ? text[state.lang] ?? text.zh : '');

// ---------------------------------------------------------------- data

function takeTokenFromHash() {
  const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (match) {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
    history.replaceState(null, '', location.pathname + location.search);
  }
}

class NeedsToken extends Error {}

async function getJson(url) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const response = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const body = await response.json().catch(() => ({}));
  if (response.status === 401 || String(body.code).startsWith('CONT_ERR_AUTH')) throw new NeedsToken(t('needs-token'));
  if (!response.ok) throw new Error(body.message ?? `${response.status}`);
  return body;
}

function panelUrl(panel) {
  const q = new URLSearchParams();
  const { org, region, from, to } = state.filters;
  if (from) q.set('from', from);
  if (to) q.set('to', to);
  if (org) q.set('org', org);
  if (region) q.set('region', region);
  const width = document.querySelector(`[data-panel="${panel.id}"]`)?.clientWidth ?? 800;
  q.set('maxDataPoints', String(Math.max(50, Math.round(width))));
  return `/v1/panels/${encodeURIComponent(state.uid)}/${panel.id}?${q}`;
}

// ---------------------------------------------------------------- formatting

const dateFormat = new Intl.DateTimeFormat('sv-SE', { timeZone: CST, year: 'numeric', month: '2-digit', day: '2-digit' });
const timeFormat = new Intl.DateTimeFormat('sv-SE', { timeZone: CST, hour: '2-digit', minute: '2-digit' });
const dateTimeFormat = new Intl.DateTimeFormat('sv-SE', { timeZone: CST, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });

/** A CST calendar day ("2020-01-24") of an instant. */
const cstDay = (ms) => dateFormat.format(ms);

function nameOf(codes, value) {
  if (!codes || value === null || value === undefined) return value ?? '';
  return pick(state.dashboard.labels[codes]?.[String(value)]) || String(value);
}

function formatCell(column, value) {
  if (value === null || value === undefined) return '—';
  if (column.codes) return nameOf(column.codes, value);
  switch (column.format) {
    case 'number':
      return formatThousands(Number(value));
    case 'cn':
      return formatChineseUnits(Number(value));
    case 'minutes':
      return Number(value).toFixed(1);
    case 'datetime':
      return dateTimeFormat.format(Number(value));
    default:
      return String(value);
  }
}

const axisNumber = (percent) => (value) => (percent ? `${Math.round(value * 100)}%` : formatChineseUnits(value));

// ---------------------------------------------------------------- layout

function applyLanguage() {
  document.documentElement.lang = state.lang === 'zh' ? 'zh-CN' : 'en';
  for (const el of document.querySelectorAll('[data-text]')) el.textContent = t(el.dataset.text);
  for (const b of document.querySelectorAll('[data-lang]')) b.setAttribute('aria-pressed', String(b.dataset.lang === state.lang));
}

function renderNav() {
  const nav = $('dashboards');
  nav.replaceChildren(
    ...state.dashboards.map((d) => {
      const a = document.createElement('a');
      a.href = `?dashboard=${encodeURIComponent(d.uid)}`;
      a.textContent = pick(d.title);
      a.dataset.uid = d.uid;
      if (d.uid === state.uid) a.setAttribute('aria-current', 'page');
      a.addEventListener('click', (event) => {
        event.preventDefault();
        openDashboard(d.uid, { resetFilters: true });
      });
      return a;
    }),
  );
}

function fillSelect(select, options, selected, allLabel) {
  select.replaceChildren(
    new Option(allLabel, ''),
    ...options.map((o) => new Option(o.label, o.value)),
  );
  select.value = selected;
}

function renderFilters() {
  const d = state.dashboard;
  for (const variable of d.variables) {
    const select = $(`var-${variable.name}`);
    if (!select) continue;
    select.previousElementSibling.textContent = pick(variable.label);
    fillSelect(select, variable.options.map((o) => ({ value: o.value, label: pick(o.label) })), state.filters[variable.name] ?? '', t('all'));
  }
  const preset = $('preset');
  preset.replaceChildren(...d.presets.map((p, i) => new Option(pick(p.label), String(i))), new Option(t('custom'), 'custom'));
  preset.value = state.filters.preset;
}

function renderFrame() {
  const d = state.dashboard;
  document.title = `${pick(d.title)} · continuity`;
  $('title').textContent = pick(d.title);
  $('description').textContent = pick(d.description);
  for (const chart of state.charts.values()) chart.dispose();
  state.charts.clear();
  const grid = $('grid');
  grid.replaceChildren(
    ...d.panels.map((panel) => {
      const section = document.createElement('section');
      section.className = `panel panel-${panel.kind}`;
      section.dataset.panel = String(panel.id);
      section.dataset.state = 'loading';
      section.style.gridColumn = `${panel.gridPos.x + 1} / span ${panel.gridPos.w}`;
      section.style.gridRow = `${panel.gridPos.y + 1} / span ${panel.gridPos.h}`;
      const h2 = document.createElement('h2');
      const unit = panel.unit && pick(panel.unit);
      h2.textContent = unit && panel.kind !== 'stat' ? (state.lang === 'zh' ? `${pick(panel.title)}（${unit}）` : `${pick(panel.title)} (${unit})`) : pick(panel.title);
      if (panel.description) h2.title = pick(panel.description);
      const body = document.createElement('div');
      body.className = 'body';
      section.append(h2, body);
      return section;
    }),
  );
}

// ---------------------------------------------------------------- panels

function renderStat(panel, body, result) {
  const row = result.rows[0] ?? [];
  const at = (name) => row[result.columns.findIndex((c) => c.name === name)];
  const value = at('value');
  const display = at('display');
  const big = document.createElement('div');
  big.className = 'stat-value';
  big.textContent = display ?? '—';
  const small = document.createElement('div');
  small.className = 'stat-exact';
  const unit = pick(panel.unit);
  const exact = typeof value === 'number' && Number.isFinite(value) && Math.abs(value) >= 1e4 && Math.abs(value) < 1e15 ? formatThousands(value) : '';
  small.textContent = [exact, unit].filter(Boolean).join(' ');
  body.replaceChildren(big, small);
}

function chartFor(panel, body) {
  let chart = state.charts.get(panel.id);
  if (!chart) {
    body.replaceChildren();
    chart = echarts.init(body, null, { renderer: 'canvas' });
    state.charts.set(panel.id, chart);
  }
  return chart;
}

function renderTimeSeries(panel, body, result) {
  const names = result.columns.map((c) => c.name);
  const time = names.indexOf('time');
  const series = [];
  if (panel.series) {
    const key = names.indexOf(panel.series.column);
    const value = names.indexOf('value');
    const byName = new Map();
    for (const row of result.rows) {
      const name = nameOf(panel.series.codes, row[key]);
      if (!byName.has(name)) byName.set(name, []);
      byName.get(name).push([row[time], row[value]]);
    }
    for (const [name, data] of byName) series.push({ name, type: 'line', showSymbol: data.length < 60, data });
  } else {
    for (const [column, label] of Object.entries(panel.values ?? { value: { zh: '', en: '' } })) {
      const index = names.indexOf(column);
      series.push({ name: pick(label), type: 'line', showSymbol: result.rows.length < 60, data: result.rows.map((r) => [r[time], r[index]]) });
    }
  }
  const days = result.range.to - result.range.from > 3 * 86_400_000;
  const label = (ms) => (days ? cstDay(ms).slice(5) : timeFormat.format(ms));
  chartFor(panel, body).setOption(
    {
      animation: false,
      grid: { left: 56, right: 16, top: 16, bottom: 48 },
      legend: { bottom: 0, type: 'scroll' },
      tooltip: { trigger: 'axis', valueFormatter: (v) => (typeof v === 'number' ? formatChineseUnits(v) : v) },
      xAxis: { type: 'time', min: result.range.from, max: result.range.to, axisLabel: { formatter: label, hideOverlap: true } },
      yAxis: { type: 'value', axisLabel: { formatter: axisNumber(false) } },
      series,
    },
    { notMerge: true },
  );
}

function renderBar(panel, body, result) {
  const names = result.columns.map((c) => c.name);
  const category = names.indexOf(panel.category.column);
  const series = Object.entries(panel.values).map(([column, label]) => {
    const index = names.indexOf(column);
    return { name: pick(label), type: 'bar', data: result.rows.map((r) => r[index]) };
  });
  chartFor(panel, body).setOption(
    {
      animation: false,
      grid: { left: 56, right: 16, top: 16, bottom: 56 },
      legend: { bottom: 0, show: series.length > 1 },
      tooltip: { trigger: 'axis', valueFormatter: (v) => (typeof v !== 'number' ? v : panel.percent ? `${(v * 100).toFixed(1)}%` : formatChineseUnits(v)) },
      xAxis: { type: 'category', data: result.rows.map((r) => nameOf(panel.category.codes, r[category])), axisLabel: { interval: 0, rotate: result.rows.length > 6 ? 30 : 0 } },
      yAxis: { type: 'value', axisLabel: { formatter: axisNumber(panel.percent) }, ...(panel.percent ? { max: 1 } : {}) },
      series,
    },
    { notMerge: true },
  );
}

function renderTable(panel, body, result) {
  const names = result.columns.map((c) => c.name);
  const table = document.createElement('table');
  const head = table.createTHead().insertRow();
  const columns = Object.entries(panel.columns);
  for (const [, column] of columns) {
    const th = document.createElement('th');
    th.textContent = pick(column);
    head.append(th);
  }
  const tbody = table.createTBody();
  for (const row of result.rows) {
    const tr = tbody.insertRow();
    for (const [name, column] of columns) {
      const td = tr.insertCell();
      td.textContent = formatCell(column, row[names.indexOf(name)]);
      if (column.format && column.format !== 'datetime') td.className = 'number';
    }
  }
  if (result.rows.length === 0) {
    const td = tbody.insertRow().insertCell();
    td.colSpan = columns.length;
    td.textContent = t('no-data');
  }
  body.replaceChildren(table);
}

function renderEmpty(panel, body) {
  state.charts.get(panel.id)?.dispose();
  state.charts.delete(panel.id);
  const p = document.createElement('p');
  p.className = 'empty';
  p.textContent = t('no-data');
  body.replaceChildren(p);
}

function render(panel, result) {
  const section = document.querySelector(`[data-panel="${panel.id}"]`);
  if (!section) return;
  const body = section.querySelector('.body');
  if ((panel.kind === 'timeseries' || panel.kind === 'barchart') && result.rows.length === 0) renderEmpty(panel, body);
  else if (panel.kind === 'stat') renderStat(panel, body, result);
  else if (panel.kind === 'timeseries') renderTimeSeries(panel, body, result);
  else if (panel.kind === 'barchart') renderBar(panel, body, result);
  else renderTable(panel, body, result);
  section.dataset.state = 'ready';
}

function showRange(range) {
  // The date inputs show the CST days of the range the service resolved.
  $('from').value = cstDay(range.from);
  $('to').value = cstDay(range.to);
}

async function loadPanels() {
  const generation = ++state.generation;
  const panels = state.dashboard.panels;
  $('status').textContent = t('loading');
  for (const section of document.querySelectorAll('[data-panel]')) section.dataset.state = 'loading';
  let shownRange = false;
  await Promise.all(
    panels.map(async (panel) => {
      try {
        const result = await getJson(panelUrl(panel));
        if (generation !== state.generation) return;
        state.results.set(panel.id, result);
        if (!shownRange) {
          showRange(result.range);
          shownRange = true;
        }
        render(panel, result);
      } catch (error) {
        if (generation !== state.generation) return;
        if (error instanceof NeedsToken) return askForToken(error.message);
        const section = document.querySelector(`[data-panel="${panel.id}"]`);
        if (section) {
          section.dataset.state = 'error';
          const p = document.createElement('p');
          p.className = 'error';
          p.textContent = `${t('error')}: ${error.message}`;
          section.querySelector('.body').replaceChildren(p);
        }
      }
    }),
  );
  if (generation === state.generation) $('status').textContent = `${t('updated')} ${timeFormat.format(Date.now())}`;
}

function askForToken(message) {
  const form = $('token-form');
  form.hidden = false;
  $('status').textContent = message;
}

// ---------------------------------------------------------------- state

function writeUrl() {
  const q = new URLSearchParams({ dashboard: state.uid });
  const { org, region, from, to, preset } = state.filters;
  if (org) q.set('org', org);
  if (region) q.set('region', region);
  if (preset === 'custom') {
    q.set('from', from);
    q.set('to', to);
  } else if (preset !== '0') q.set('preset', preset);
  if (state.lang !== 'zh') q.set('lang', state.lang);
  history.replaceState(null, '', `?${q}`);
}

function applyPreset(index) {
  const preset = state.dashboard.presets[Number(index)];
  state.filters.preset = String(index);
  state.filters.from = preset?.from ?? state.dashboard.time.from;
  state.filters.to = preset?.to ?? state.dashboard.time.to;
}

async function openDashboard(uid, { resetFilters = false } = {}) {
  state.uid = uid;
  if (resetFilters) state.filters = { org: '', region: '', from: null, to: null, preset: '0' };
  state.dashboard = await getJson(`/v1/dashboards/${encodeURIComponent(uid)}`);
  if (state.filters.preset !== 'custom') applyPreset(state.filters.preset);
  clearInterval(state.refreshTimer);
  const refresh = /^(\d+)s$/.exec(state.dashboard.refresh ?? '');
  if (refresh) state.refreshTimer = setInterval(loadPanels, Number(refresh[1]) * 1000);
  renderNav();
  renderFilters();
  renderFrame();
  writeUrl();
  await loadPanels();
}

function readUrl() {
  const q = new URLSearchParams(location.search);
  if (q.get('lang') === 'en' || q.get('lang') === 'zh') state.lang = q.get('lang');
  state.filters.org = q.get('org') ?? '';
  state.filters.region = q.get('region') ?? '';
  if (q.get('from') && q.get('to')) Object.assign(state.filters, { preset: 'custom', from: q.get('from'), to: q.get('to') });
  else if (q.get('preset')) state.filters.preset = q.get('preset');
  return q.get('dashboard');
}

function wire() {
  $('filters').addEventListener('submit', (event) => event.preventDefault());
  for (const name of ['org', 'region']) {
    $(`var-${name}`).addEventListener('change', (event) => {
      state.filters[name] = event.target.value;
      writeUrl();
      loadPanels();
    });
  }
  $('preset').addEventListener('change', (event) => {
    if (event.target.value === 'custom') return;
    applyPreset(event.target.value);
    writeUrl();
    loadPanels();
  });
  for (const id of ['from', 'to']) {
    $(id).addEventListener('change', () => {
      const from = $('from').value;
      const to = $('to').value;
      if (!from || !to) return;
      Object.assign(state.filters, { preset: 'custom', from: `${from}T00:00:00+08:00`, to: `${to}T23:59:59.999+08:00` });
      $('preset').value = 'custom';
      writeUrl();
      loadPanels();
    });
  }
  for (const button of document.querySelectorAll('[data-lang]')) {
    button.addEventListener('click', () => {
      state.lang = button.dataset.lang;
      localStorage.setItem(LANG_KEY, state.lang);
      applyLanguage();
      renderNav();
      renderFilters();
      renderFrame();
      writeUrl();
      for (const panel of state.dashboard.panels) {
        const result = state.results.get(panel.id);
        if (result) render(panel, result);
      }
    });
  }
  $('token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $('token').value.trim());
    $('token-form').hidden = true;
    start();
  });
  window.addEventListener('resize', () => {
    for (const chart of state.charts.values()) chart.resize();
  });
}

async function start() {
  try {
    const { dashboards } = await getJson('/v1/dashboards');
    state.dashboards = dashboards;
    const wanted = readUrl();
    applyLanguage();
    await openDashboard(dashboards.some((d) => d.uid === wanted) ? wanted : dashboards[0].uid);
  } catch (error) {
    if (error instanceof NeedsToken) askForToken(error.message);
    else $('status').textContent = `${t('error')}: ${error.message}`;
  }
}

takeTokenFromHash();
applyLanguage();
wire();
start();
