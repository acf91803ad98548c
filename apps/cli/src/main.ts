import 'reflect-metadata';
import readline from 'node:readline';
import { parseArgs } from 'node:util';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Logger } from 'pino';
import { PASSWORD_MIN_LENGTH, UserAdministration } from '#identity';
import { type AppConfig, applyMigrations, ConfigError, createRootLogger, DomainError, loadConfig, PinoNestLogger, RuntimeEndpoints } from '#platform';
import { AppModule } from '../../api/src/app.module.js';
import { seedDemo } from '../../api/src/startup.js';

const USAGE = `Usage: node dist/apps/cli/main.js <command> [options]

Commands:
  migrate                                 apply pending database migrations (needs DATABASE_URL)
  create-admin --email <e> [--name <n>]   create an admin account; the password is read from
                                          ADMIN_PASSWORD or from stdin (at least ${PASSWORD_MIN_LENGTH} characters)
  seed-demo                               load demo users and data (refused when NODE_ENV=production)
`;

class UsageError extends Error {}

/** The application without HTTP and without queue workers, for one-off commands. */
async function withAppContext(config: AppConfig, logger: Logger, work: (app: INestApplicationContext) => Promise<void>): Promise<void> {
  const endpoints = await RuntimeEndpoints.open(config);
  try {
    const app = await NestFactory.createApplicationContext(AppModule.forRoot(config, endpoints, { api: false, worker: false }), { logger: new PinoNestLogger(logger) });
    try {
      await app.init();
      await work(app);
    } finally {
      await app.close();
    }
  } finally {
    await endpoints.close();
  }
}

async function migrate(config: AppConfig, logger: Logger): Promise<void> {
  if (!config.databaseUrl) {
    throw new ConfigError(['DATABASE_URL is required for migrate (the embedded database migrates itself when the server starts)']);
  }
  const applied = await applyMigrations(config.databaseUrl);
  logger.info({ applied }, applied.length ? `applied ${applied.length} migration(s)` : 'the database is up to date');
}

/** The password never goes on the command line (shell history, process list). */
async function readPassword(): Promise<string> {
  if (process.env.ADMIN_PASSWORD) return process.env.ADMIN_PASSWORD;
  if (!process.stdin.isTTY) {
    let input = '';
    for await (const chunk of process.stdin) input += chunk;
    return input.split(/\r?\n/)[0] ?? '';
  }
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout, terminal: true });
  process.stdout.write('Password for the new admin (not shown): ');
  (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => undefined;
  const answer = await new Promise<string>((resolve) => rl.question('', resolve));
  rl.close();
  process.stdout.write('\n');
  return answer;
}

async function createAdmin(config: AppConfig, logger: Logger, args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { email: { type: 'string' }, name: { type: 'string' } }, strict: true });
  if (!values.email || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(values.email)) throw new UsageError('create-admin needs --email with a valid e-mail address');
  const password = await readPassword();
  if (password.length < PASSWORD_MIN_LENGTH) throw new UsageError(`the password must be at least ${PASSWORD_MIN_LENGTH} characters`);
  await withAppContext(config, logger, async (app) => {
    const id = await app.get(UserAdministration).createSeedUser(
      { email: values.email!, displayName: values.name?.trim() || 'Administrator', role: 'admin', password },
      'created with the CLI create-admin command',
    );
    logger.info({ id, email: values.email!.toLowerCase() }, 'admin account created');
  });
}

async function main(): Promise<void> {
  const [command, ...args] = process.argv.slice(2);
  const config = loadConfig();
  const logger = createRootLogger(config.logLevel);
  switch (command) {
    case 'migrate':
      return migrate(config, logger);
    case 'create-admin':
      return createAdmin(config, logger, args);

    // ---- seed-demo: owned by the lead (apps/api/src/startup.ts seedDemo) --------------------
    case 'seed-demo':
      return withAppContext(config, logger, (app) => seedDemo(app, config, logger));
    // ------------------------------------------------------------------------------------------

    case undefined:
    case 'help':
    case '--help':
      process.stdout.write(USAGE);
      return;
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(78);
    }
    if (error instanceof UsageError || (error as { code?: string })?.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      console.error(`${(error as Error).message}\n\n${USAGE}`);
      process.exit(64);
    }
    if (error instanceof DomainError) {
      console.error(error.message);
      process.exit(1);
    }
    console.error(error);
    process.exit(1);
  },
);
