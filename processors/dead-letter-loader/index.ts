export { startDeadLetterLoader, deadLetterRecordToRow } from './dead-letter-loader.ts';
export { deadLetterLoaderDefaults, type DeadLetterLoaderConfig } from './config.ts';
