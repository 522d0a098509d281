export { startEventsLoader, eventRow, eventRecordToRow, toClickHouseDateTime } from './events-loader.ts';
export { eventsLoaderDefaults, type EventsLoaderConfig } from './config.ts';
