import { Type } from '@sinclair/typebox';

const State = Type.Union([Type.Literal('up'), Type.Literal('down')]);

/** `/health` and `/ready`: ok when Temporal and the store both answer. */
export const HealthSchema = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]),
  temporal: State,
  store: State,
});
