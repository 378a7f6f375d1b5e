import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

/**
 * The zod every contract is written with: zod/mini, whose functions tree-shake (the classic API
 * put ~440 KB into every function bundle, a third of predict's JS and of its import time), with
 * the English messages the classic API loads by default, so a 422 still says what is wrong. The
 * locale is imported by path: `z.locales.en()` would bundle all ~40 locales. Import it as
 * `import * as z from './zod.js'`.
 */
config(en());

// Re-exported name by name: exporting a namespace object as a value would defeat tree-shaking.
export * from 'zod/mini';
