import { Type } from '@sinclair/typebox';

/** `t`, or null. */
export const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

/** An ISO-8601 instant. */
export const Timestamp = Type.String({ format: 'date-time' });

/** The opaque cursor of the next page; null on the last. */
export const NextCursor = Type.Union([Type.String(), Type.Null()]);

/** A 204's empty body. */
export const NoContent = Type.Null();
