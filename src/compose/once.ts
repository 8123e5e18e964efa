/** A memoized factory: builds its value on first call, so a composition creates only what an entry point asks for. */
export function once<T>(make: () => T): () => T {
  let built = false;
  let value: T;
  return () => {
    if (!built) {
      value = make();
      built = true;
    }
    return value;
  };
}

/** Work a composition starts after wiring and stops in reverse order on close. */
export interface Background {
  start?(): Promise<void> | void;
  stop(): Promise<void> | void;
}
