/**
 * Event producers for demos, tests and load: the seed scenario (the figures of
 * the source articles) and a realistic mixed stream.
 */
import { type ContinuityEvent, serializeEvent } from '../../schemas/index.ts';
import { type RealisticOptions, realisticEvents } from './realistic-events.ts';
import { seedScenario } from './seed-scenario.ts';

export { realisticEvents, type RealisticOptions } from './realistic-events.ts';
export { chineseDisplay, type FigureMeasure, matchesFigure, measureFigure, SEED_FIGURES, type SeedFigure, type SeedFigureName, seedFigure } from './seed-figures.ts';
export { SEED_SCENARIO_NAME, seedScenario } from './seed-scenario.ts';

export interface ScenarioOptions extends RealisticOptions {
  /** Number of events; ignored by scenarios of fixed size. */
  count?: number;
  /** Random seed; ignored by fixed scenarios. */
  seed?: number;
}

export interface Scenario {
  name: string;
  description: string;
  events(options?: ScenarioOptions): Iterable<ContinuityEvent>;
}

export const scenarios = {
  seed: {
    name: 'seed',
    description: 'the figures of the source articles (Jan–Feb 2020, Shanghai Apr 2022), exactly, in about 18,000 events',
    events: () => seedScenario(),
  },
  realistic: {
    name: 'realistic',
    description: 'a deterministic mix of every type, org and region; count events (default 100,000)',
    events: ({ count = 100_000, seed = 1, ...range }: ScenarioOptions = {}) => realisticEvents(count, seed, range),
  },
} as const satisfies Record<string, Scenario>;

export type ScenarioName = keyof typeof scenarios;

/** One canonical JSON line per event, each ending in "\n": write them as they come, or join('') for a file. */
export function* toNdjson(events: Iterable<ContinuityEvent>): Generator<string> {
  for (const event of events) yield `${serializeEvent(event)}\n`;
}
