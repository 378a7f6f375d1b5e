#!/usr/bin/env node
// The `mlops` bin: runs the compiled CLI (dist/), building it first when a source file is newer.
import { launch } from '../scripts/build.mjs';

await launch('cli');
