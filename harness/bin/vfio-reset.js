#!/usr/bin/env node
// The package's bin: loads the TypeScript CLI through tsx.
import { register } from 'tsx/esm/api';

register();
await import('../cli.ts');
