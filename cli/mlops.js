#!/usr/bin/env node
// The `mlops` bin: registers tsx so the TypeScript CLI runs straight from a clone (no build step).
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
