// Runs in every integration-test worker: make sure the endpoint variables are those of the
// test services, even when a worker was started with a different environment (a developer's
// KUBECONFIG or DATABASE_URL is removed, never used).
import { useTestServices } from './endpoints.js';

useTestServices();
