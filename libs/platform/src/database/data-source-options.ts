import type { DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from '#migrations';
import { queryTimeoutPoolOptions } from './query-timeout.js';

export interface DataSourceChoices {
  poolSize?: number;
  entities?: DataSourceOptions['entities'];
  applicationName?: string;
  /** Client-side limit on one query (none when unset: migrations must never be cut off). */
  queryTimeoutMs?: number;
  /** Also set PostgreSQL's statement_timeout (real servers only). */
  serverStatementTimeout?: boolean;
}

/**
 * The one data source definition, shared by the app (with entities) and the migration CLI
 * (without). The schema comes only from migrations/: synchronize stays off.
 */
export function buildDataSourceOptions(url: string, options: DataSourceChoices = {}): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: options.entities ?? [],
    migrations: MIGRATIONS,
    migrationsTableName: 'schema_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false,
    logging: ['error'],
    poolSize: options.poolSize ?? 10,
    applicationName: options.applicationName ?? 'exolot',
    extra: {
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 30000,
      ...queryTimeoutPoolOptions(options.queryTimeoutMs, options.serverStatementTimeout ?? false),
    },
  };
}
