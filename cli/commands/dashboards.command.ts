import { resolve } from 'node:path';
import type { Command } from 'commander';
import { ContinuityError } from '../../errors/registry.ts';
import { defaultCatalog } from '../../schemas/index.ts';
import { dashboards, findDashboard, findPanel } from '../../dashboards/definitions/index.ts';
import { expandLikeGrafana } from '../../dashboards/macros.ts';
import { panelContext } from '../../dashboards/panel-query.ts';
import { PROVISIONING_DIR, renderProvisioning, staleProvisioning, writeProvisioning } from '../../dashboards/provisioning.ts';

const list = (value: string, previous: string[] = []) => [...previous, ...value.split(',').map((v) => v.trim()).filter(Boolean)];

export function register(program: Command) {
  const command = program.command('dashboards').description('the dashboards as code: Grafana provisioning, panel SQL');

  command
    .command('export')
    .description('write the Grafana provisioning (ClickHouse datasource, dashboard provider, one JSON per dashboard) to DIR')
    .argument('[dir]', 'target directory, mounted as /etc/grafana/provisioning', PROVISIONING_DIR)
    .option('--check', 'write nothing; exit 1 when DIR differs from what export would write')
    .action((dir: string, flags: { check?: boolean }) => {
      const target = resolve(dir);
      const files = renderProvisioning(defaultCatalog());
      if (flags.check) {
        const stale = staleProvisioning(target, files);
        if (stale.length > 0) {
          console.error(`out of date in ${target}: ${stale.join(', ')}; run continuity dashboards export (npm run dashboards:export)`);
          process.exitCode = 1;
          return;
        }
        console.log(`${target} is up to date (${files.size} files)`);
        return;
      }
      for (const path of writeProvisioning(target, files)) console.log(`wrote ${path}`);
    });

  command
    .command('list')
    .description('the dashboards and their panels')
    .action(() => {
      for (const d of dashboards) {
        console.log(`${d.uid}  ${d.title.zh} · ${d.title.en}`);
        for (const p of d.panels) console.log(`  ${String(p.id).padStart(3)}  ${p.kind.padEnd(10)} ${p.title.zh} · ${p.title.en}`);
      }
    });

  command
    .command('sql')
    .description("print a panel's SQL as Grafana sends it to ClickHouse, for the given filters (paste it into continuity sql)")
    .argument('<dashboard>', 'dashboard uid, e.g. continuity-overview')
    .argument('<panel>', 'panel id (continuity dashboards list)')
    .option('--from <time>', "start of the range: now-6h, 2020-01-24T00:00:00+08:00 … (default: the dashboard's)")
    .option('--to <time>', "end of the range (default: the dashboard's)")
    .option('--org <codes>', 'org codes, comma-separated (default: all)', list)
    .option('--region <codes>', 'province codes, comma-separated (default: all)', list)
    .option('--raw', 'the SQL as written, with its macros and variables')
    .action((uid: string, id: string, flags: { from?: string; to?: string; org?: string[]; region?: string[]; raw?: boolean }) => {
      const dashboard = findDashboard(uid);
      if (!/^\d+$/.test(id)) throw new ContinuityError('CONT_ERR_NOT_FOUND', `panel ids are numbers; continuity dashboards list shows them`);
      const panel = findPanel(dashboard, Number(id));
      if (flags.raw) {
        console.log(panel.sql);
        return;
      }
      const context = panelContext(dashboard, panel, { from: flags.from, to: flags.to, variables: { org: flags.org, region: flags.region } });
      console.log(expandLikeGrafana(panel.sql, context));
    });
}
