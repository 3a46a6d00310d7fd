// Runs in every integration-test worker: make sure the endpoint variables are those of the
// test services, even when a worker was started with a different environment.
import { resolveTestEnv } from './endpoints.js';

Object.assign(process.env, resolveTestEnv());
