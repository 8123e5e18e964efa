import { z } from 'zod';

import { isPlaceholderId } from '../domain/distinct-id.js';

// One placeholder rule for ingest, cohorts and decisions (PRODUCT.md 4.1).
export { isPlaceholderId };

/** A distinct_id: 1–200 characters, not a placeholder. */
export const distinctIdSchema = z
  .string({ invalid_type_error: 'must be a string' })
  .min(1, 'must not be empty')
  .max(200, 'must be at most 200 characters')
  .refine((s) => !isPlaceholderId(s), (s) => ({ message: `${JSON.stringify(s)} is a placeholder id, not a user` }));
