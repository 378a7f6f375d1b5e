// `npm run test:chaos`: the chaos suite (test/chaos/*.chaos.ts), outside `npm test`. Serial, so
// its latency and memory figures are not measured against another suite's load.
import base from './jest.config.js';

/** @type {import('jest').Config} */
export default {
  ...base,
  testMatch: ['<rootDir>/test/chaos/**/*.chaos.ts'],
  testTimeout: 240_000,
  maxWorkers: 1,
};
