// /healthz, /readyz and /metrics for the operator.
import express from 'express';
import type { Server } from 'node:http';
import type { OperatorMetrics } from './metrics.js';

export interface ProbeState {
  /** Caches synced and, for the leader, workers running; a standby is ready too. */
  ready: () => boolean;
}

export function startHttpServer(port: number, metrics: OperatorMetrics, state: ProbeState, host = '0.0.0.0'): Promise<Server> {
  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => void res.type('text/plain').send('ok'));
  app.get('/readyz', (_req, res) => void (state.ready() ? res.type('text/plain').send('ok') : res.status(503).type('text/plain').send('caches not synced')));
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, () => resolve(server));
    server.on('error', reject);
  });
}
