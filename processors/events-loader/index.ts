export { startEventsLoader, eventRecordToRow, VALIDATED_HEADER } from './events-loader.ts';
export { toClickHouseDateTime } from '../row-pack.ts';
export { eventsLoaderDefaults, type EventsLoaderConfig } from './config.ts';
