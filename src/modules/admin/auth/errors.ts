import { ERROR_CODES, type ErrorCode, HearthError } from "../../../errors.ts";

/** The codes the admin API answers auth failures with. */
export type AuthErrorCode =
  | "AUTH_REQUIRED"
  | "AUTH_INVALID_TOKEN"
  | "AUTH_FORBIDDEN"
  | "AUTH_RATE_LIMITED"
  | "AUTH_TOKEN_NOT_FOUND";

const STATUS: Record<AuthErrorCode, number> = {
  AUTH_REQUIRED: 401,
  AUTH_INVALID_TOKEN: 401,
  AUTH_FORBIDDEN: 403,
  AUTH_RATE_LIMITED: 429,
  AUTH_TOKEN_NOT_FOUND: 404,
};

/**
 * The catalogue code for an auth failure. Until src/errors.ts lists the AUTH_* codes, this is
 * INVALID_ARGUMENT with the intended code in `data.reason` (and the HTTP status overridden); once the
 * lead adds them, they are used as they are, with no change here.
 */
export function authCode(code: AuthErrorCode): ErrorCode {
  return code in ERROR_CODES ? (code as ErrorCode) : "INVALID_ARGUMENT";
}

export function authError(code: AuthErrorCode, message: string, data?: Record<string, unknown>): HearthError {
  const actual = authCode(code);
  const detail = (actual as string) === code ? data : { reason: code, ...data };
  return new HearthError(actual, message, {
    httpStatus: STATUS[code],
    ...(detail === undefined ? {} : { data: detail }),
  });
}
