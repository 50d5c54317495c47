/**
 * A lookup table for names read from files (flags, environment variables, keys, resource kinds): it has no
 * prototype, so a name such as `constructor`, `toString` or `__proto__` finds nothing instead of a member of
 * Object.prototype (`--constructor 3` in a command line was read as an input named after Object's constructor).
 * Frozen: the tables are module constants.
 */
export function keyedTable<T>(entries: Readonly<Record<string, T>>): Readonly<Record<string, T>> {
  return Object.freeze(Object.assign(Object.create(null) as Record<string, T>, entries));
}
