// Plain JavaScript on purpose: a worker thread does not inherit tsx's loader on Node 20, so this
// entry registers it in the worker before importing the TypeScript module named by workerData.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
