/**
 * Profile updates for `/v1/engage` (PRODUCT.md 4.2): each method checks its argument the way
 * the server will (so one bad update never costs its batch) and returns the update body, or
 * throws a message naming the argument (the client catches it and records it).
 */
import { isObject } from './ids.js';

export type PeopleOp = '$set' | '$set_once' | '$add' | '$unset' | '$append' | '$union' | '$remove';

/** A JSON copy of `v` (also proves it serializes: no cycles, no BigInt). */
export function jsonCopy<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

export function engageBody(op: PeopleOp, arg: unknown, distinctId: string): Record<string, unknown> {
  const where = `people.${op.slice(1)}`;
  if (op === '$unset') {
    if (!Array.isArray(arg) || !arg.every((k) => typeof k === 'string')) throw new Error(`${where}: keys must be a list of property names`);
  } else {
    if (!isObject(arg)) throw new Error(`${where}: properties must be an object`);
    for (const k of Object.keys(arg)) {
      const v = arg[k];
      if (op === '$add' && (typeof v !== 'number' || !Number.isFinite(v))) throw new Error(`${where}: properties.${k} must be a finite number`);
      if (op === '$union' && !Array.isArray(v)) throw new Error(`${where}: properties.${k} must be a list`);
    }
  }
  return { distinct_id: distinctId, [op]: jsonCopy(arg), $time: Date.now() };
}
