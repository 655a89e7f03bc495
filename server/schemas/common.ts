// Schemas shared by every route: the error body and its statuses, model params.
import { Type, type Static } from 'typebox';

export const ErrorBody = Type.Object(
  {
    statusCode: Type.Integer(),
    code: Type.String(),
    error: Type.String(),
    message: Type.String(),
  },
  { $id: 'ErrorBody', description: 'Every error: HTTP status, stable code (see server/errors.ts), reason and message' },
);

export const ModelParams = Type.Object({
  model: Type.String({ minLength: 1, maxLength: 128, description: 'Model name (folder name or manifest "name")' }),
});
export type ModelParams = Static<typeof ModelParams>;

export const errorResponses = {
  400: ErrorBody,
  404: ErrorBody,
  413: ErrorBody,
  415: ErrorBody,
  422: ErrorBody,
  429: ErrorBody,
  503: ErrorBody,
  500: ErrorBody,
  504: ErrorBody,
};
