/**
 * The pure decision core (PRODUCT.md 3, 5, 7): `evaluate/` (what a client needs: evaluation
 * only, no validation libraries) and `compile/` (validation and compilation). Nothing here does
 * I/O, reads the clock or the environment. Code outside src/core imports from this file only
 * (or from core/evaluate/index.ts when it must not pull in zod and ajv, e.g. the SDK).
 */
export * from './evaluate/index.js';
export * from './compile/index.js';
