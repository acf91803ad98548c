import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, canonicalJsonOf } from './canonical.js';

/**
 * The Ed25519 key that signs verification answers, so a clinic system can check an answer
 * came from this lab. From VERIFY_SIGNING_KEY (PKCS#8 PEM, or that PEM base64-encoded);
 * outside production a key is generated once and kept in DATA_DIR.
 */
@Injectable()
export class VerificationKey {
  private readonly logger = new Logger('VerificationKey');
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly keyId: string;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.privateKey = loadOrCreate(config, this.logger);
    this.publicKey = createPublicKey(this.privateKey);
    const der = this.publicKey.export({ type: 'spki', format: 'der' });
    this.keyId = createHash('sha256').update(der).digest('hex').slice(0, 16);
  }

  /** Signs the canonical JSON of a payload; returns base64. */
  sign(payload: unknown): string {
    return sign(null, Buffer.from(canonicalJsonOf(payload)), this.privateKey).toString('base64');
  }

  verify(payload: unknown, signature: string): boolean {
    return verify(null, Buffer.from(canonicalJsonOf(payload)), this.publicKey, Buffer.from(signature, 'base64'));
  }

  publicJwk(): Record<string, unknown> {
    return { ...(this.publicKey.export({ format: 'jwk' }) as object), kid: this.keyId, alg: 'EdDSA', use: 'sig' };
  }

  publicPem(): string {
    return this.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  }
}

function loadOrCreate(config: AppConfig, logger: Logger): KeyObject {
  // Validated at boot (loadConfig): an Ed25519 PKCS#8 PEM, and production refuses to start without one.
  if (config.verifySigningKey) return createPrivateKey(config.verifySigningKey);
  const file = path.join(config.dataDir, 'verify-signing-key.pem');
  if (fs.existsSync(file)) return createPrivateKey(fs.readFileSync(file, 'utf8'));
  fs.mkdirSync(config.dataDir, { recursive: true });
  const { privateKey } = generateKeyPairSync('ed25519');
  try {
    fs.writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
    logger.warn({ file }, 'VERIFY_SIGNING_KEY is not set: generated a verification signing key for this data folder (set it in production)');
    return privateKey;
  } catch {
    return createPrivateKey(fs.readFileSync(file, 'utf8')); // another process created it first
  }
}
