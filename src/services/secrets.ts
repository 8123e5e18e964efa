import { createHash, randomBytes } from 'node:crypto';

/** Public project token: `sbp_` + 24 random bytes, base64url. */
export const newProjectToken = () => `sbp_${randomBytes(24).toString('base64url')}`;

/** Admin key secret: `sba_` + 32 random bytes, base64url. Shown once, stored hashed. */
export const newAdminSecret = () => `sba_${randomBytes(32).toString('base64url')}`;

/** sha256 hex: admin keys are high-entropy, so a fast hash is enough (as GitHub tokens). */
export const hashSecret = (secret: string) => createHash('sha256').update(secret).digest('hex');

/** The part of a secret safe to show in lists and logs. */
export const secretPrefix = (secret: string) => secret.slice(0, 8);
