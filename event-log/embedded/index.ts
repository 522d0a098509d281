export { getEmbeddedEventLog } from './embedded-event-log.ts';
export { embeddedEventLogDefaults, type EmbeddedEventLogOptions } from './config.ts';
