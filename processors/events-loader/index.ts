export { startEventsLoader, eventRow, eventRecordToRow, toClickHouseDateTime, VALIDATED_HEADER } from './events-loader.ts';
export { eventsLoaderDefaults, type EventsLoaderConfig } from './config.ts';
