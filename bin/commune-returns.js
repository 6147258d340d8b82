#!/usr/bin/env node
// Launcher of the command line: runs the TypeScript sources through tsx, so it works from a checkout.
import { register } from 'tsx/esm/api';

register();
const { run } = await import('../cli/main.ts');
process.exitCode = await run(process.argv.slice(2));
