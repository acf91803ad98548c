import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { keepProtocolSequencesTogether } from './pglite-protocol-queue.js';

/**
 * An embedded PostgreSQL (PGlite) served on a loopback socket so the ordinary `pg` driver,
 * TypeORM and BullMQ use it unchanged: production differs only in the URL.
 *
 * PGlite has ONE backend session shared by every socket client and serialises transactions
 * globally, so code must never query another connection from inside a transaction.
 * PGlite takes no lock on its data directory, so we take our own lockfile.
 */
export class EmbeddedPostgres {
  private db?: PGlite;
  private server?: PGLiteSocketServer;
  private lockPath?: string;

  constructor(
    private readonly dataDir: string,
    private readonly options: { maxConnections?: number; searchPath?: string } = {},
  ) {}

  get url(): string {
    if (!this.server) throw new Error('embedded PostgreSQL is not started');
    return `postgres://postgres@${this.server.getServerConn()}/postgres`;
  }

  async start(): Promise<string> {
    fs.mkdirSync(this.dataDir, { recursive: true });
    this.acquireLock();
    try {
      this.db = await PGlite.create({ dataDir: this.dataDir });
      if (this.options.searchPath) {
        // Startup options such as `-c search_path` are ignored through the socket: set it on the shared session.
        await this.db.exec(`CREATE SCHEMA IF NOT EXISTS ${this.options.searchPath}; SET search_path TO ${this.options.searchPath}, public;`);
      }
      this.server = new PGLiteSocketServer({ db: this.db, host: '127.0.0.1', port: 0, maxConnections: this.options.maxConnections ?? 64 });
      keepProtocolSequencesTogether(this.server);
      await this.server.start();
      return this.url;
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  async stop(): Promise<void> {
    await this.server?.stop().catch(() => undefined);
    this.server = undefined;
    await this.db?.close().catch(() => undefined);
    this.db = undefined;
    this.releaseLock();
  }

  private acquireLock(): void {
    const lockPath = path.join(this.dataDir, '..', `${path.basename(this.dataDir)}.lock`);
    try {
      fs.writeFileSync(lockPath, String(process.pid), { flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(fs.readFileSync(lockPath, 'utf8'));
      if (holder && holder !== process.pid && isAlive(holder)) {
        throw new Error(`The data folder ${this.dataDir} is in use by process ${holder}. Stop it, or set DATA_DIR to another folder.`);
      }
      fs.writeFileSync(lockPath, String(process.pid)); // stale lock from a crashed process
    }
    this.lockPath = lockPath;
  }

  private releaseLock(): void {
    if (this.lockPath) fs.rmSync(this.lockPath, { force: true });
    this.lockPath = undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
