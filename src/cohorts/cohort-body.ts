import { z } from 'zod';
import { cohortKeySchema } from './cohort-definition.js';

/** seconds between refreshes; null: the tier's interval (never faster than it, checked on save) */
export const refreshIntervalSchema = z.number().int().positive().max(31 * 86_400).nullable();

/** The body that creates a cohort, shared by the admin API and `rules/` files. */
export const cohortCreateFields = {
  key: cohortKeySchema,
  name: z.string().trim().min(1).max(200),
  description: z.string().max(2000).optional(),
  kind: z.enum(['static', 'dynamic']),
  definition: z.unknown().optional(),
  refresh_interval_s: refreshIntervalSchema.optional(),
};

export const cohortCreateSchema = z.object(cohortCreateFields).strict();
