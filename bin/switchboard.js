#!/usr/bin/env node
// `switchboard` / `npx switchboard`: the CLI of src/main.ts, run through tsx (no build step).
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
