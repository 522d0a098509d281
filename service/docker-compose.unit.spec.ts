/** docker-compose.yml is for users with Docker: it is checked here, not run. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { projectRoot } from '../test-support/temp.ts';

interface Service {
  image?: string;
  build?: string;
  command?: string[];
  environment?: Record<string, unknown>;
  volumes?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
}

describe('docker-compose.yml', () => {
  const text = readFileSync(join(projectRoot, 'docker-compose.yml'), 'utf8');
  const compose = parse(text, { merge: true }) as { services: Record<string, Service>; volumes: Record<string, unknown> };
  const services = compose.services;

  it('runs Kafka in KRaft mode, a ClickHouse server, Grafana, the ingest service and processors', () => {
    assert.deepEqual(Object.keys(services).sort(), ['clickhouse', 'grafana', 'ingest', 'kafka', 'processor']);
    assert.equal(services.kafka.environment!.KAFKA_PROCESS_ROLES, 'broker,controller');
    assert.equal(services.processor.command!.join(' '), 'process');
    assert.equal(services.ingest.command!.join(' '), 'serve');
  });

  it('pins every image to a version', () => {
    for (const [name, s] of Object.entries(services)) {
      if (s.build) continue;
      assert.match(s.image ?? '', /^[\w./-]+:\d[\w.-]*$/, `${name}: ${s.image}`);
    }
    assert.match(String(services.grafana.environment!.GF_INSTALL_PLUGINS), /^grafana-clickhouse-datasource \d+\.\d+\.\d+$/);
  });

  it('starts services only once what they need is healthy', () => {
    for (const name of ['kafka', 'clickhouse', 'ingest']) assert.ok(services[name].healthcheck, `${name} has a health check`);
    for (const s of Object.values(services)) for (const [dep, c] of Object.entries(s.depends_on ?? {})) {
      assert.ok(services[dep], `depends on a known service: ${dep}`);
      assert.equal(c.condition, 'service_healthy');
    }
  });

  it('mounts and builds only files that exist', () => {
    for (const [name, s] of Object.entries(services)) {
      if (s.build) assert.ok(existsSync(join(projectRoot, s.build, 'Dockerfile')), `${name}: Dockerfile`);
      for (const v of s.volumes ?? []) {
        const source = v.split(':')[0];
        if (source.startsWith('./')) assert.ok(existsSync(join(projectRoot, source)), `${name} mounts ${source}`);
        else if (!source.startsWith('${')) assert.ok(source in (compose.volumes ?? {}), `${name}: named volume ${source}`);
      }
    }
    // Grafana's provisioning is the project's generated one.
    assert.ok(existsSync(join(projectRoot, 'dashboards/provisioning/datasources/clickhouse.yaml')));
    assert.ok(existsSync(join(projectRoot, 'dashboards/provisioning/dashboards/provider.yaml')));
  });

  it('gives Grafana every variable its datasource file reads', () => {
    const datasource = readFileSync(join(projectRoot, 'dashboards/provisioning/datasources/clickhouse.yaml'), 'utf8');
    const needed = [...datasource.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]);
    assert.ok(needed.length > 0);
    for (const name of needed) assert.ok(name in services.grafana.environment!, `grafana environment sets ${name}`);
  });

  it('documents every variable it takes from the environment in the README', () => {
    const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');
    const taken = new Set([...text.matchAll(/\$\{(\w+)(?::[-?][^}]*)?\}/g)].map((m) => m[1]));
    assert.ok(taken.size > 0);
    for (const name of taken) assert.ok(readme.includes(name), `README mentions ${name}`);
  });
});
