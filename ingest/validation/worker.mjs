// Worker entry: TypeScript sources run through tsx, as in the main thread.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
