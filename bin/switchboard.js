#!/usr/bin/env node
// `switchboard` / `npx switchboard`: the CLI of src/main.ts, run through tsx (no build step).
// The support commands, which only talk HTTP to a running server, start from their own
// small entry (src/cli/support-main.ts) instead of the whole server's import graph.
import { register } from 'tsx/esm/api';

register();
const SUPPORT = new Set(['persons', 'explain', 'cohorts', 'keys']);
await import(SUPPORT.has(process.argv[2]) ? '../src/cli/support-main.ts' : '../src/main.ts');
