/**
 * MLflow's REST errors: `{"error_code": "…", "message": "…"}` with the HTTP status MLflow's
 * `MlflowException.get_http_status_code` gives each code, and the mapping of mlr's own
 * errors (src/errors.ts) onto those codes.
 */
import { FilterError, MlrError, NotFoundError, StateError, UsageError } from '../errors.js';

/** mlflow/exceptions.py ERROR_CODE_TO_HTTP_STATUS, for the codes the server uses. */
const HTTP_STATUS: Record<string, number> = {
  INTERNAL_ERROR: 500,
  INVALID_STATE: 500,
  TEMPORARILY_UNAVAILABLE: 503,
  IO_ERROR: 500,
  BAD_REQUEST: 400,
  INVALID_PARAMETER_VALUE: 400,
  MALFORMED_REQUEST: 400,
  ENDPOINT_NOT_FOUND: 404,
  RESOURCE_DOES_NOT_EXIST: 404,
  RESOURCE_ALREADY_EXISTS: 400,
  PERMISSION_DENIED: 403,
  UNAUTHENTICATED: 401,
  REQUEST_LIMIT_EXCEEDED: 429,
  FEATURE_DISABLED: 501,
};

/** An error the server answers with MLflow's error JSON. */
export class ApiError extends Error {
  readonly errorCode: string;
  readonly status: number;
  /** extra response headers (WWW-Authenticate for 401) */
  readonly headers: Record<string, string>;
  constructor(errorCode: string, message: string, status = HTTP_STATUS[errorCode] ?? 500, headers: Record<string, string> = {}) {
    super(message);
    this.errorCode = errorCode;
    this.status = status;
    this.headers = headers;
  }
}

export const invalidParameter = (message: string): ApiError => new ApiError('INVALID_PARAMETER_VALUE', message);
export const notFound = (message: string): ApiError => new ApiError('RESOURCE_DOES_NOT_EXIST', message);

const ALREADY_EXISTS = new Set(['experiment-exists', 'experiment-exists-deleted', 'run-exists', 'model-exists', 'version-exists']);
const SERVER_SIDE = new Set(['locked', 'write-failed', 'broken-run', 'broken-experiment', 'registry-unreadable', 'registry-unparsable', 'trash-conflict']);

/** Any error a handler threw, as MLflow's error (unknown ones are INTERNAL_ERROR with the message). */
export function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  // a filter error reads "MLflow's reason — mlr's hint": MLflow's clients get MLflow's reason
  if (e instanceof FilterError) return invalidParameter(e.detail.includes(' — ') ? e.detail.slice(0, e.detail.indexOf(' — ')) : e.detail);
  if (e instanceof NotFoundError) return notFound(e.message);
  if (e instanceof MlrError && ALREADY_EXISTS.has(e.code)) return new ApiError('RESOURCE_ALREADY_EXISTS', e.message);
  if (e instanceof MlrError && SERVER_SIDE.has(e.code)) return new ApiError('INTERNAL_ERROR', e.message);
  if (e instanceof UsageError || e instanceof StateError) return invalidParameter(e.message);
  if (e instanceof MlrError) return new ApiError('INTERNAL_ERROR', e.message);
  const err = e as Error;
  return new ApiError('INTERNAL_ERROR', err?.message ?? String(e));
}
