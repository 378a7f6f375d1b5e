/**
 * Model (and experiment) names, defined once: the registry, the run store, the API schemas and the
 * CDK config check names against this. Letters, digits, '.', '_' and '-', starting with a letter or
 * digit, so a name is safe in keys, URLs and metric labels.
 */
export const MODEL_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
export const MODEL_NAME_RULE = 'use 1–64 letters, digits, ".", "_" or "-", starting with a letter or digit';
