#!/usr/bin/env node
// Entry point of the `continuity` command: TypeScript sources run through tsx.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
