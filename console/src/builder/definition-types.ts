/**
 * The dynamic-cohort definition language as the console sees it: the server's own types and
 * operator list (src/domain/cohort-definition.ts, docs/cohorts.md), so the two cannot drift.
 * Plain JSON types, no validation (the server's zod schema is src/cohorts/cohort-definition.ts).
 */
export * from '../../../src/domain/cohort-definition.js';
export type { CohortNode as DefinitionNode } from '../../../src/domain/cohort-definition.js';
