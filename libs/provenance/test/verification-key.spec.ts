import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../platform/src/config/config.js';
import { VerificationKey } from '../src/verification-key.js';

describe('the key that signs lookup answers', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exolot-vk-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

  it('uses the configured Ed25519 key, and answers signed with it verify against its public key', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const key = new VerificationKey(loadConfig({ DATA_DIR: tempDir(), VERIFY_SIGNING_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() }));
    expect(key.publicPem()).toBe(publicKey.export({ type: 'spki', format: 'pem' }).toString());
    const answer = { verdict: 'verified', code: 'L2611-00001' };
    const signature = key.sign(answer);
    expect(key.verify(answer, signature)).toBe(true);
    expect(key.verify({ ...answer, verdict: 'not_verified' }, signature)).toBe(false);
  });

  it('outside production without a key, generates one in DATA_DIR once and keeps using it', () => {
    const dir = tempDir();
    const first = new VerificationKey(loadConfig({ DATA_DIR: dir }));
    const file = path.join(dir, 'verify-signing-key.pem');
    expect(fs.existsSync(file)).toBe(true);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const again = new VerificationKey(loadConfig({ DATA_DIR: dir }));
    expect(again.keyId).toBe(first.keyId);
    expect(new VerificationKey(loadConfig({ DATA_DIR: tempDir() })).keyId).not.toBe(first.keyId);
  });
});
