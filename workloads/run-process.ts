// The lifecycle every workload process shares: `--help`, settings from the environment (an
// invalid one exits 2 naming the variable), then either a one-shot job (exit 0 or 1) or a
// service that runs until SIGTERM or SIGINT, drains, and exits 0. A failure while starting is
// logged as one JSON line and exits 1.
import { ConfigError, EnvReader } from '../core/config.js';
import { ENV } from '../core/env-contract.js';
import { errorMessage } from '../core/errors.js';
import { createLogger, parseLogLevel, type Logger } from '../core/log.js';

interface Common<S> {
  /** The log's component name. */
  component: string;
  /** What `--help` prints. */
  help: string;
  /** Reads and checks the settings; throws ConfigError on an invalid one. */
  settings: (r: EnvReader, log: Logger) => S;
}

export interface JobSpec<S> extends Common<S> {
  /** Runs once; a throw exits 1 (2 for a ConfigError). */
  run: (settings: S, log: Logger) => Promise<void>;
  /** The log message of a failure. */
  failed: string;
}

export interface ServiceSpec<S> extends Common<S> {
  /** Starts the service; returns how to drain and stop it. */
  start: (settings: S, log: Logger) => Promise<{ stop: (signal: string) => Promise<void> }>;
}

function prepare<S>(spec: Common<S>): { log: Logger; settings: S } | undefined {
  const log = createLogger(spec.component, parseLogLevel(process.env[ENV.logLevel]));
  if (process.argv.includes('--help')) {
    process.stdout.write(`${spec.help}\n`);
    return undefined;
  }
  try {
    return { log, settings: spec.settings(new EnvReader(), log) };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    log.error('invalid configuration', { error: err.message });
    process.exitCode = 2;
    return undefined;
  }
}

/** A one-shot job: exit code 0 when it succeeded, 1 when it failed, 2 for invalid settings. */
export async function runJob<S>(spec: JobSpec<S>): Promise<void> {
  const ready = prepare(spec);
  if (!ready) return;
  try {
    await spec.run(ready.settings, ready.log);
  } catch (err) {
    ready.log.error(spec.failed, { error: errorMessage(err) });
    process.exitCode = err instanceof ConfigError ? 2 : 1;
  }
}

/** A service: runs until SIGTERM or SIGINT, then drains once and exits 0. */
export function runService<S>(spec: ServiceSpec<S>): void {
  const fatal = (err: unknown) => {
    process.stderr.write(
      `${JSON.stringify({ time: new Date().toISOString(), level: 'error', component: spec.component, msg: 'fatal', error: errorMessage(err) })}\n`,
    );
    process.exit(1);
  };
  void (async () => {
    const ready = prepare(spec);
    if (!ready) return;
    const running = await spec.start(ready.settings, ready.log);
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      void running.stop(signal).then(() => {
        ready.log.info('stopped');
        process.exit(0);
      }, fatal);
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  })().catch(fatal);
}
