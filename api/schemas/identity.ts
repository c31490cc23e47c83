import { Type } from '@sinclair/typebox';

/** `GET /api/identity`: who the token is, as the API sees it (in open mode, the admin `anonymous`). */
export const IdentityReply = Type.Object({
  caller: Type.Object({
    kind: Type.Union([Type.Literal('admin'), Type.Literal('service')]),
    name: Type.String(),
  }),
});
