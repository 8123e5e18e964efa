import { z } from 'zod';

/** Ids clients send when they have none; refused everywhere (PRODUCT.md 4.1). */
export const PLACEHOLDER_IDS = new Set(['undefined', 'null', '0', 'anonymous', 'guest', '[object object]', 'nan']);

export const isPlaceholderId = (id: string) => id.trim() === '' || PLACEHOLDER_IDS.has(id.trim().toLowerCase());

/** A distinct_id: 1–200 characters, not a placeholder. */
export const distinctIdSchema = z
  .string({ invalid_type_error: 'must be a string' })
  .min(1, 'must not be empty')
  .max(200, 'must be at most 200 characters')
  .refine((s) => !isPlaceholderId(s), (s) => ({ message: `${JSON.stringify(s)} is a placeholder id, not a user` }));
