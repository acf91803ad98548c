import { DataSource, MigrationExecutor } from 'typeorm';
import { buildDataSourceOptions } from './data-source-options.js';

const MIGRATION_LOCK_KEY = 7245001;

/**
 * Applies pending migrations in one transaction and returns their names. An advisory lock
 * serialises several processes starting at once, so each migration runs exactly once.
 */
export async function applyMigrations(url: string): Promise<string[]> {
  const dataSource = new DataSource(buildDataSourceOptions(url, { poolSize: 1, applicationName: 'exolot-migrate' }));
  await dataSource.initialize();
  const runner = dataSource.createQueryRunner();
  try {
    await runner.connect();
    await runner.startTransaction();
    await runner.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    const executor = new MigrationExecutor(dataSource, runner);
    executor.transaction = 'none';
    const applied = await executor.executePendingMigrations();
    await runner.commitTransaction();
    return applied.map((m) => m.name);
  } catch (error) {
    if (runner.isTransactionActive) await runner.rollbackTransaction();
    throw error;
  } finally {
    await runner.release();
    await dataSource.destroy();
  }
}
