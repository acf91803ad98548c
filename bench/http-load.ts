import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { percentile } from './section.js';

/**
 * A closed-loop HTTP load generator: `clients` keep-alive connections, each sending its next
 * request as soon as the previous answer has been read. It runs in a worker thread so that the
 * client's own work does not share an event loop with the server under test.
 */
export interface LoadPlan {
  baseUrl: string;
  /** Paths taken in turn (each client starts at its own offset). */
  paths: string[];
  clients: number;
  warmUpMs: number;
  durationMs: number;
  /** A substring every answer body must contain (e.g. the expected verdict). */
  expectBody?: string;
}

export interface LoadFigures {
  requests: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Answers that were not 200 or lacked expectBody. */
  failures: number;
  firstFailure: string | null;
}

export function runHttpLoad(plan: LoadPlan): Promise<LoadFigures> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(fileURLToPath(import.meta.url), { workerData: plan });
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => code !== 0 && reject(new Error(`load worker exited with ${code}`)));
  });
}

async function generate(plan: LoadPlan): Promise<LoadFigures> {
  const target = new URL(plan.baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: plan.clients });
  const latencies: number[] = [];
  let failures = 0;
  let firstFailure: string | null = null;
  let measuring = false;
  let stopped = false;

  const once = (path: string) =>
    new Promise<void>((done, fail) => {
      const t0 = performance.now();
      const req = http.request({ host: target.hostname, port: target.port, path, agent, headers: { accept: 'application/json' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          if (measuring) {
            latencies.push(performance.now() - t0);
            const body = Buffer.concat(chunks).toString('utf8');
            if (res.statusCode !== 200 || (plan.expectBody && !body.includes(plan.expectBody))) {
              failures++;
              firstFailure ??= `${path}: ${res.statusCode} ${body.slice(0, 300)}`;
            }
          }
          done();
        });
        res.on('error', fail);
      });
      req.on('error', fail);
      req.end();
    });

  const client = async (offset: number) => {
    for (let i = offset; !stopped; i++) await once(plan.paths[i % plan.paths.length]);
  };
  const stride = Math.max(1, Math.floor(plan.paths.length / plan.clients));
  const clients = Array.from({ length: plan.clients }, (_, c) => client(c * stride));
  await new Promise((r) => setTimeout(r, plan.warmUpMs));
  measuring = true;
  const started = performance.now();
  await new Promise((r) => setTimeout(r, plan.durationMs));
  measuring = false;
  const elapsedMs = performance.now() - started;
  stopped = true;
  await Promise.all(clients);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return { requests: latencies.length, perSecond: (latencies.length / elapsedMs) * 1000, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), failures, firstFailure };
}

if (!isMainThread && workerData?.paths) {
  generate(workerData as LoadPlan).then((figures) => parentPort!.postMessage(figures));
}
