import { httpHandler } from '../shared/http.js';

/** Admin routes (training, runs, registry); the route table gains them with the admin API. */
export const handler = httpHandler({});
