/** Every dashboard, in the order the viewer lists them. */
import { ContinuityError } from '../../errors/registry.ts';
import type { Dashboard, Panel } from '../model.ts';
import { overview } from './overview.ts';
import { pipelineHealth } from './pipeline-health.ts';

export const dashboards: readonly Dashboard[] = [overview, pipelineHealth];

export function findDashboard(uid: string): Dashboard {
  const dashboard = dashboards.find((d) => d.uid === uid);
  if (!dashboard) throw new ContinuityError('CONT_ERR_NOT_FOUND', `no dashboard "${uid}" (there are: ${dashboards.map((d) => d.uid).join(', ')})`);
  return dashboard;
}

export function findPanel(dashboard: Dashboard, id: number): Panel {
  const panel = dashboard.panels.find((p) => p.id === id);
  if (!panel) throw new ContinuityError('CONT_ERR_NOT_FOUND', `dashboard "${dashboard.uid}" has no panel ${id} (it has ${dashboard.panels.map((p) => p.id).join(', ')})`);
  return panel;
}

export { overview, pipelineHealth };
