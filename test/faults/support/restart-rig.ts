import type { TcpProxy } from '../../reliability/support/tcp-proxy.js';
import { AppProcess, ProcessCluster, stopAll } from '../../support/processes.js';
import type { TestApp, TestDatabase } from '../../support/test-app.js';

/**
 * The app under a restart test: where its requests go, the test's TCP proxy in front of the
 * service that restarts (closing it is the restart, opening it the service coming back), the
 * spawned processes (none for the in-process app), and how to take it all down.
 */
export interface RestartRig {
  target: Pick<TestApp, 'request' | 'query'>;
  proxy: TcpProxy;
  processes: AppProcess[];
  close(): Promise<void>;
}

/**
 * One API and one worker process on the test database, started with `env` (which points their
 * connections to the restarting service at the proxy); requests go to the API, the test's own
 * queries straight to the database. A failed start takes down what it started, the proxy and
 * the database.
 */
export async function processesBehindProxy(database: TestDatabase, proxy: TcpProxy, env: Record<string, string>): Promise<RestartRig> {
  const processes: AppProcess[] = [];
  try {
    processes.push(...(await Promise.all([AppProcess.start('api', { name: 'api', env }), AppProcess.start('worker', { name: 'worker', env })])));
  } catch (error) {
    await stopAll(processes);
    await proxy.close();
    await database.drop();
    throw error;
  }
  const cluster = new ProcessCluster(() => [processes[0].baseUrl], database.config.databaseUrl!);
  return {
    target: cluster,
    proxy,
    processes,
    async close() {
      await proxy.open().catch(() => undefined);
      await stopAll(processes);
      await proxy.close();
      await cluster.close();
      await database.drop();
    },
  };
}

/** The in-process app behind the proxy; closing opens the proxy again first, so the app shuts down cleanly, then runs `after`. */
export function appBehindProxy(app: TestApp, proxy: TcpProxy, after: () => Promise<void> = async () => undefined): RestartRig {
  return {
    target: app,
    proxy,
    processes: [],
    async close() {
      await proxy.open().catch(() => undefined);
      await app.close();
      await after();
    },
  };
}
