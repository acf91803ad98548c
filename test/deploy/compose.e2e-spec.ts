import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { loadConfig } from '#platform';

/**
 * docker-compose.yml and the Dockerfile, checked without Docker: the compose file parses, has the
 * services the README describes with health checks, runs commands that exist, wires the
 * database and Redis, and holds no secret of its own.
 */
const ROOT = path.resolve('.');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');
const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };

interface Service {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  environment?: Record<string, string | number | boolean | null> | string[];
  healthcheck?: { test: string[] | string; interval?: string; retries?: number };
  depends_on?: Record<string, { condition: string }> | string[];
  restart?: string;
  ports?: unknown[];
  volumes?: string[];
}

function loadCompose(): { services: Record<string, Service>; volumes?: Record<string, unknown> } {
  const document = parseDocument(read('docker-compose.yml'), { merge: true, prettyErrors: true });
  expect(document.errors.map((e) => e.message)).toEqual([]);
  expect(document.warnings.map((e) => e.message)).toEqual([]);
  return document.toJS({ maxAliasCount: 100 });
}

function envOf(service: Service): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) return Object.fromEntries(env.map((e) => [e.split('=')[0], e.split('=').slice(1).join('=')]));
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v ?? '')]));
}

/** `npm run <script>` → the script, and the compiled entry point it runs → its TypeScript source. */
function checkNpmCommand(command: string[] | string | undefined, problems: string[], who: string): void {
  const argv = Array.isArray(command) ? command : String(command ?? '').split(/\s+/);
  if (argv[0] !== 'npm' || argv[1] !== 'run' || argv.length !== 3) {
    problems.push(`${who}: command ${JSON.stringify(command)} is not "npm run <script>"`);
    return;
  }
  const script = pkg.scripts[argv[2]];
  if (!script) {
    problems.push(`${who}: npm script "${argv[2]}" is not in package.json`);
    return;
  }
  const entry = /^node (dist\/\S+\.js)/.exec(script)?.[1];
  if (!entry) problems.push(`${who}: script "${argv[2]}" (${script}) does not run a built entry point`);
  else if (!existsSync(path.join(ROOT, entry.replace(/^dist\//, '').replace(/\.js$/, '.ts')))) problems.push(`${who}: ${entry} has no source ${entry.replace(/^dist\//, '').replace(/\.js$/, '.ts')}`);
}

describe('docker-compose.yml', () => {
  const compose = loadCompose();
  const { services } = compose;
  const app = ['migrate', 'api', 'worker'];

  it('parses and has postgres, redis, a one-shot migrate, the api and the worker', () => {
    expect(Object.keys(services).sort()).toEqual(expect.arrayContaining(['api', 'migrate', 'postgres', 'redis', 'worker']));
    expect(services.postgres.image).toMatch(/^postgres:1[5-9]/);
    expect(services.redis.image).toMatch(/^redis:7/);
    for (const name of app) expect(services[name].build).toBeDefined();
    expect(services.migrate.restart).toBe('no');
    expect(services.postgres.volumes?.some((v) => v.endsWith(':/var/lib/postgresql/data'))).toBe(true);
    expect(compose.volumes).toHaveProperty(services.postgres.volumes![0].split(':')[0]);
  });

  it('runs only npm scripts that exist in package.json, whose entry points exist', () => {
    const problems: string[] = [];
    for (const name of app) checkNpmCommand(services[name].command, problems, name);
    expect(problems).toEqual([]);
    expect(services.api.command).toEqual(['npm', 'run', 'start:api']);
    expect(services.worker.command).toEqual(['npm', 'run', 'start:worker']);
    expect(services.migrate.command).toEqual(['npm', 'run', 'migration:run']);
    expect(read('apps/cli/src/main.ts')).toMatch(/['"]migrate['"]/);
  });

  it('gives every long-running service a health check, the API its readiness route', () => {
    for (const name of ['postgres', 'redis', 'api', 'worker']) {
      expect(services[name].healthcheck?.test).toBeDefined();
      expect(services[name].healthcheck?.retries).toBeGreaterThan(0);
    }
    expect(JSON.stringify(services.postgres.healthcheck?.test)).toContain('pg_isready');
    expect(JSON.stringify(services.redis.healthcheck?.test)).toContain('ping');
    expect(JSON.stringify(services.api.healthcheck?.test)).toContain('/health/ready');
    // The route the check calls exists: GET /health/ready on the health controller.
    const health = read('libs/platform/src/health/health.controller.ts');
    expect(health).toMatch(/@Controller\('health'\)/);
    expect(health).toMatch(/@Get\('ready'\)/);
    expect(JSON.stringify(services.api.healthcheck?.test)).toContain(`:${envOf(services.api).PORT}/`);
  });

  it('starts the app only after the database is healthy and migrated, and Redis is healthy', () => {
    const deps = (s: Service) => (Array.isArray(s.depends_on) ? Object.fromEntries(s.depends_on.map((d) => [d, { condition: 'service_started' }])) : s.depends_on ?? {});
    expect(deps(services.migrate).postgres?.condition).toBe('service_healthy');
    for (const name of ['api', 'worker']) {
      expect(deps(services[name]).migrate?.condition).toBe('service_completed_successfully');
      expect(deps(services[name]).redis?.condition).toBe('service_healthy');
    }
  });

  it('wires DATABASE_URL to the postgres service and REDIS_URL to the redis service, in production mode', () => {
    for (const name of app) {
      const env = envOf(services[name]);
      expect(env.NODE_ENV).toBe('production');
      expect(env.DATABASE_URL).toMatch(/^postgres(ql)?:\/\/[^@]+@postgres:5432\/\w+$/);
      expect(env.REDIS_URL).toMatch(/^rediss?:\/\/redis:6379/);
    }
    expect(envOf(services.api).HOST).toBe('0.0.0.0');
    expect(envOf(services.postgres).POSTGRES_DB).toBe(new URL(envOf(services.api).DATABASE_URL.replace(/\$\{[^}]+\}/g, 'x')).pathname.slice(1));
  });

  it('hard-codes no secret: every password, key or token comes from a ${VARIABLE}', () => {
    const problems: string[] = [];
    for (const [name, service] of Object.entries(services)) {
      for (const [key, value] of Object.entries(envOf(service))) {
        if (/PASSWORD|SECRET|TOKEN|_KEY$|PRIVATE/i.test(key) && value !== '' && !/^\$\{[A-Z0-9_]+(:?[-?][^}]*)?\}$/.test(value)) problems.push(`${name}.${key} = ${value}`);
        // Credentials inside a URL, too.
        const credentials = /^[a-z]+:\/\/[^:/@]+:([^@]*)@/.exec(value)?.[1];
        if (credentials !== undefined && !/^\$\{[A-Z0-9_]+\}$/.test(credentials)) problems.push(`${name}.${key} has a literal password in its URL`);
      }
    }
    expect(problems).toEqual([]);
    // The database password and the lookup signing key are required, not defaulted.
    expect(envOf(services.postgres).POSTGRES_PASSWORD).toMatch(/^\$\{POSTGRES_PASSWORD:\?/);
    for (const name of app) expect(envOf(services[name]).VERIFY_SIGNING_KEY).toMatch(/^\$\{VERIFY_SIGNING_KEY:\?/);
  });

  it('gives each app service every setting production requires (its environment passes the boot-time config check)', () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const secrets: Record<string, string> = {
      POSTGRES_PASSWORD: 'pw',
      VERIFY_SIGNING_KEY: Buffer.from(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()).toString('base64'),
    };
    for (const name of app) {
      const env = Object.fromEntries(
        Object.entries(envOf(services[name])).map(([key, value]) => [key, value.replace(/\$\{([A-Z0-9_]+)(:?[-?][^}]*)?\}/g, (_, variable: string) => secrets[variable] ?? '')]),
      );
      expect(() => loadConfig(env)).not.toThrow();
    }
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const instructions = dockerfile.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));

  it('builds from the lockfile on Node 20 and runs as a non-root user', () => {
    expect(instructions.filter((l) => l.startsWith('FROM ')).every((l) => /^FROM node:20\b/.test(l))).toBe(true);
    expect(dockerfile).toMatch(/COPY package\.json package-lock\.json/);
    expect(dockerfile).toMatch(/RUN npm ci\b/);
    expect(dockerfile).toMatch(/RUN npm run build\b/);
    expect(pkg.scripts.build).toBeDefined();
    expect(instructions.filter((l) => l.startsWith('USER ')).pop()).toMatch(/^USER (?!root)\w+/);
  });

  it('has a CMD that runs an npm script that exists', () => {
    const cmd = instructions.filter((l) => l.startsWith('CMD ')).pop();
    expect(cmd).toBeDefined();
    const argv = JSON.parse(cmd!.slice(4)) as string[];
    const problems: string[] = [];
    checkNpmCommand(argv, problems, 'Dockerfile CMD');
    expect(problems).toEqual([]);
  });

  it('keeps secrets, local data and build output out of the build context', () => {
    const ignored = read('.dockerignore').split('\n').map((l) => l.trim());
    for (const entry of ['node_modules', 'data', 'dist']) expect(ignored.some((l) => l.replace(/^\/|\/$/g, '') === entry)).toBe(true);
    expect(ignored.some((l) => /^\.env/.test(l))).toBe(true);
  });
});
