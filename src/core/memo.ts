// The engine's memos: per model object (WeakMap, dropped with the model) or per key (Map, bounded).

/**
 * The value kept under `key`, made by `make` and kept on a miss. A Map at `limit` entries first drops its
 * oldest one, so memos keyed by what documents contain stay bounded.
 */
export function memoized<K extends object, V>(cache: WeakMap<K, V>, key: K, make: () => V): V;
export function memoized<K, V>(cache: Map<K, V>, key: K, make: () => V, limit?: number): V;
export function memoized<K, V>(cache: Map<K, V> | WeakMap<K & object, V>, key: K, make: () => V, limit = Infinity): V {
  const map = cache as Map<K, V>;
  let value = map.get(key);
  if (value === undefined) {
    value = make();
    if (cache instanceof Map && cache.size >= limit) cache.delete(cache.keys().next().value as K);
    map.set(key, value);
  }
  return value;
}
