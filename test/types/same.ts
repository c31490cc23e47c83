/** True when A and B are each assignable to the other and have the same keys (an extra optional key would pass
 * assignability alone). */
export type Same<A, B> = [A] extends [B]
  ? [B] extends [A]
    ? [keyof A] extends [keyof B]
      ? [keyof B] extends [keyof A]
        ? true
        : false
      : false
    : false
  : false;

/** A compile error unless T is true. */
export type Assert<T extends true> = T;
