/**
 * The composition root: every service built from the environment, once per process and only
 * when first used. Split by what a function needs (storage, auth, prediction, training), so each
 * handler imports only its own part and its bundle carries nothing else (the auth function no
 * model cache and no ONNX runtime); this index gathers them for the local runtime, the CLI and
 * tests.
 */
export { authService, keyRing, tokenIssuer, tokenRegistry, tokenVerifier } from './auth.js';
export { datasetUploads } from './datasets.js';
export { lazy, resetServices, settings } from './lazy.js';
export { predictionService } from './prediction.js';
export { artifactStore, registryService, runStore } from './storage.js';
export { trainingDeps } from './training.js';
