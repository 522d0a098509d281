export { startEventsLoader, eventRecordToRow, VALIDATED_HEADER } from './events-loader.ts';
export { eventsLoaderDefaults, type EventsLoaderConfig } from './config.ts';
