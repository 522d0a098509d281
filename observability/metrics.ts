/**
 * Counters and gauges in Prometheus text format. Names follow
 * `continuity_<name>_<unit>_total` for counters.
 */
type Labels = Record<string, string>;

class Metric {
  readonly values = new Map<string, { labels: Labels; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge',
  ) {}
  private key(labels: Labels) {
    return JSON.stringify(Object.entries(labels).sort());
  }
  inc(labels: Labels = {}, by = 1) {
    const k = this.key(labels);
    const cur = this.values.get(k);
    if (cur) cur.value += by;
    else this.values.set(k, { labels, value: by });
  }
  set(labels: Labels, value: number) {
    this.values.set(this.key(labels), { labels, value });
  }
  get(labels: Labels = {}) {
    return this.values.get(this.key(labels))?.value ?? 0;
  }
}

export class MetricsRegistry {
  private readonly metrics = new Map<string, Metric>();
  counter(name: string, help: string) {
    return this.register(name, help, 'counter');
  }
  gauge(name: string, help: string) {
    return this.register(name, help, 'gauge');
  }
  private register(name: string, help: string, type: Metric['type']) {
    let m = this.metrics.get(name);
    if (!m) {
      m = new Metric(name, help, type);
      this.metrics.set(name, m);
    }
    return m;
  }
  render(): string {
    const out: string[] = [];
    for (const m of this.metrics.values()) {
      out.push(`# HELP ${m.name} ${m.help}`, `# TYPE ${m.name} ${m.type}`);
      for (const { labels, value } of m.values.values()) {
        const l = Object.entries(labels)
          .map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`))}"`)
          .join(',');
        out.push(`${m.name}${l ? `{${l}}` : ''} ${value}`);
      }
    }
    return out.join('\n') + '\n';
  }
}

/** The process-wide registry the service exposes at /metrics. */
export const metrics = new MetricsRegistry();

export const ingestEventsAccepted = metrics.counter('continuity_ingest_events_accepted_total', 'Events validated and durably appended to the log');
export const ingestEventsRejected = metrics.counter('continuity_ingest_events_rejected_total', 'Input lines rejected at the edge and dead-lettered');
export const processorEventsWritten = metrics.counter('continuity_processor_events_written_total', 'Rows written to the warehouse');
export const processorDuplicatesDropped = metrics.counter('continuity_processor_duplicates_dropped_total', 'Records whose id the warehouse already held');
export const processorEventsDeadLettered = metrics.counter('continuity_processor_events_dead_lettered_total', 'Log records the processor could not load');
export const processorBatches = metrics.counter('continuity_processor_batches_total', 'Batches written to the warehouse');
export const processorLagEvents = metrics.gauge('continuity_processor_lag_events', 'Records in the log not yet committed by the processor group');
export const ingestRateLimited = metrics.counter('continuity_ingest_requests_rate_limited_total', 'Ingest requests refused with 429 because the token used its rate');
export const authRequestsRefused = metrics.counter('continuity_auth_requests_refused_total', 'Requests refused for a missing, unknown or insufficient token, by error code');
