import { FileStorageAccessError, FileStorageUnavailableError, isLabrunError } from "../../errors.js";

/** Socket-level failures: the endpoint is down, unreachable or cut the connection. */
const networkCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
  "ECONNABORTED",
  "UND_ERR_SOCKET",
]);
const networkNames = new Set(["TimeoutError", "RequestTimeout", "RequestTimeoutException", "AbortError"]);

interface SdkError {
  readonly name?: string;
  readonly code?: string;
  readonly message?: string;
  readonly $metadata?: { readonly httpStatusCode?: number };
}

/**
 * An AWS SDK error as the labrun error a client understands: unreachable or 5xx → FILE_STORAGE_UNAVAILABLE
 * (503), a missing bucket or refused credentials → FILE_STORAGE_ACCESS; labrun's own errors (size limit,
 * checksum) pass through. `subject` says what was asked for, so a 404 of the bucket reads right.
 */
export function s3Error(where: string, error: unknown, subject: "bucket" | "object"): unknown {
  if (isLabrunError(error)) return error;
  const sdk = (error ?? {}) as SdkError;
  const name = sdk.name ?? "";
  const status = sdk.$metadata?.httpStatusCode;
  const problem = `${name}${sdk.message && sdk.message !== name ? `: ${sdk.message}` : ""}`;
  const code = sdk.code ?? (error as { errors?: SdkError[] }).errors?.[0]?.code;
  if ((code !== undefined && networkCodes.has(code)) || networkNames.has(name))
    return new FileStorageUnavailableError(where, code ? `${code}: ${sdk.message ?? name}` : problem, error);
  if (name === "CredentialsProviderError")
    return new FileStorageAccessError(
      where,
      "no credentials",
      "Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) in the server's environment.",
      error,
    );
  if (name === "NoSuchBucket" || (subject === "bucket" && status === 404))
    return new FileStorageAccessError(
      where,
      "the bucket does not exist",
      "Create it first (e.g. `aws s3 mb s3://<bucket>`, with --endpoint-url for an S3-compatible server) " +
        "or correct --files s3://<bucket>/<prefix> and --s3-endpoint.",
      error,
    );
  if (
    status === 401 ||
    status === 403 ||
    ["AccessDenied", "Forbidden", "InvalidAccessKeyId", "SignatureDoesNotMatch"].includes(name)
  )
    return new FileStorageAccessError(
      where,
      `credentials refused: ${problem}`,
      "Check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY and that they may read, write and list the bucket " +
        "(s3:GetObject, s3:PutObject, s3:DeleteObject, s3:ListBucketMultipartUploads, s3:AbortMultipartUpload).",
      error,
    );
  if (status !== undefined && status >= 500) return new FileStorageUnavailableError(where, problem, error);
  return error;
}
