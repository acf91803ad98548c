import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '#platform';
import { PASSWORD_MIN_LENGTH } from './passwords.js';
import { UserAdministration } from './user-administration.service.js';

/**
 * The first admin, from ADMIN_EMAIL/ADMIN_PASSWORD (ADMIN_NAME optional) on first start.
 * Does nothing when the variables are unset or any admin account already exists.
 */
@Injectable()
export class AdminBootstrap {
  private readonly logger = new Logger('AdminBootstrap');

  constructor(
    private readonly dataSource: DataSource,
    private readonly users: UserAdministration,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Returns the e-mail of the admin it created, or null when it did nothing. */
  async ensureAdmin(): Promise<string | null> {
    const { email, password, name } = this.config.admin;
    if (!email || !password) return null;
    const [existing] = await this.dataSource.query(`SELECT 1 FROM users WHERE role = 'admin' LIMIT 1`);
    if (existing) return null;
    if (password.length < PASSWORD_MIN_LENGTH) {
      throw new Error(`ADMIN_PASSWORD must be at least ${PASSWORD_MIN_LENGTH} characters; no admin was created.`);
    }
    try {
      await this.users.createSeedUser({ email, displayName: name ?? 'Administrator', role: 'admin', password }, 'first admin from ADMIN_EMAIL at start-up');
    } catch (error) {
      // Another process starting at the same moment may have created it.
      const [raced] = await this.dataSource.query(`SELECT 1 FROM users WHERE role = 'admin' LIMIT 1`);
      if (raced) return null;
      throw error;
    }
    this.logger.log(`created the first admin ${email}`);
    return email.toLowerCase();
  }
}
