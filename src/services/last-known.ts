/** The last result per person, kept for degraded mode (decide service). */
/** A bounded least-recently-used map of the last result per person (Map keeps insertion order). */
export function createLastKnown<T>(capacity: number) {
  const map = new Map<string, T>();
  return {
    get(key: string): T | undefined {
      return map.get(key);
    },
    set(key: string, value: T): void {
      if (map.has(key)) map.delete(key);
      else if (map.size >= capacity) map.delete(map.keys().next().value as string);
      map.set(key, value);
    },
  };
}
