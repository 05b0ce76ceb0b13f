import { UsageError } from "../../errors.js";

/** A bucket and a key prefix ("" or ending in "/"), from `s3://bucket/prefix`. */
export interface S3Location {
  readonly bucket: string;
  readonly prefix: string;
}

// S3's bucket naming rules (3-63 characters, lowercase letters, digits, dots, hyphens).
const bucketPattern = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** True for a `--files` value that names an object store rather than a folder. */
export function isS3Uri(value: string): boolean {
  return /^s3:\/\//i.test(value);
}

/** `s3://bucket/some/prefix` → `{ bucket, prefix: "some/prefix/" }`; a UsageError for anything else. */
export function parseS3Uri(uri: string): S3Location {
  const match = /^s3:\/\/([^/]*)(?:\/(.*))?$/i.exec(uri);
  const bucket = match?.[1] ?? "";
  if (!match || !bucketPattern.test(bucket)) {
    throw new UsageError(
      `${JSON.stringify(uri)} is not an S3 location: write --files s3://<bucket>/<prefix> (a bucket name of ` +
        "3 to 63 lowercase letters, digits, dots and hyphens; the prefix is optional).",
    );
  }
  const parts = (match[2] ?? "").split("/").filter((part) => part !== "");
  if (parts.some((part) => part === "." || part === ".." || /[\u0000-\u001f\u007f\\]/.test(part))) {
    throw new UsageError(
      `The prefix of ${JSON.stringify(uri)} has a "." or ".." segment, a backslash or a control character: ` +
        "give a plain path such as s3://bucket/labrun/files.",
    );
  }
  return { bucket, prefix: parts.length ? `${parts.join("/")}/` : "" };
}
