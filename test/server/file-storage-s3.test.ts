import { createHash, randomBytes } from "node:crypto";
import {
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { S3FileStorage } from "../../src/server/files/s3-file-storage.js";
import { parseS3Uri } from "../../src/server/files/s3-location.js";
import { openFileStorage } from "../../src/server/files/open-file-storage.js";
import { codeOf } from "../../src/testing/store-contract/context.js";
import type { FileStorage } from "../../src/server/files/file-storage.js";
import { fileStorageContract } from "./file-storage-contract.js";
import { MotoServer, motoEnv, motoMissing } from "./moto-server.js";

const partBytes = 5 * 1024 * 1024; // S3's least part size
let moto: MotoServer | undefined;

if (!motoMissing) {
  Object.assign(process.env, motoEnv);
  beforeAll(async () => {
    moto = await MotoServer.start();
  }, 60_000);
  afterAll(async () => {
    await moto?.stop();
  });
}

async function bucketStorage(bucket: string, prefix: string, presignSeconds = 0): Promise<S3FileStorage> {
  const storage = new S3FileStorage(parseS3Uri(`s3://${bucket}/${prefix}`), {
    endpoint: moto!.endpoint,
    partBytes,
    queueSize: 2,
    presignSeconds,
  });
  await storage.client.send(new CreateBucketCommand({ Bucket: bucket })).catch((error: Error) => {
    if (error.name !== "BucketAlreadyOwnedByYou") throw error;
  });
  return storage;
}

async function contents(storage: FileStorage): Promise<{ blobs: number; unfinished: number }> {
  const s3 = storage as S3FileStorage;
  const { bucket, prefix } = s3.location;
  const objects = await s3.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  const uploads = await s3.client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }));
  return { blobs: objects.KeyCount ?? 0, unfinished: uploads.Uploads?.length ?? 0 };
}

if (motoMissing) {
  describe.skip(`file storage contract: S3 (moto) (skipped: ${motoMissing})`, () => {
    it("needs moto", () => undefined);
  });
} else {
  fileStorageContract({
    name: "S3 (moto)",
    create: () => bucketStorage("contract", "team/files"),
    contents,
    leaveUnfinished: async (storage) => {
      const s3 = storage as S3FileStorage;
      await s3.client.send(
        new CreateMultipartUploadCommand({
          Bucket: s3.location.bucket,
          Key: `${s3.location.prefix}blobs/${s3.newKey()}`,
        }),
      );
    },
    partBytes,
    close: (storage) => (storage as S3FileStorage).close(),
    skip: { sweepGrace: "moto reports every multipart upload as initiated on 2010-11-10 (a fixed date)" },
  });
}

describe.skipIf(motoMissing)("S3FileStorage", () => {
  it("sends a large body as a multipart upload and a small one as one object, under the prefix", async () => {
    const storage = await bucketStorage("shape", "a/b/");
    const large = storage.newKey();
    await storage.put(large, new Blob([randomBytes(partBytes * 3 + 1)]).stream(), { limitBytes: 1e9 });
    const small = storage.newKey();
    await storage.put(small, new Blob([Buffer.from("small")]).stream(), { limitBytes: 1e9 });
    const head = (key: string) =>
      storage.client.send(new HeadObjectCommand({ Bucket: "shape", Key: `a/b/blobs/${key}` }));
    // A multipart object's ETag is "<md5 of the parts' md5s>-<number of parts>".
    expect((await head(large)).ETag).toMatch(/-4"$/);
    expect((await head(small)).ETag).not.toMatch(/-/);
    expect((await head(small)).ContentLength).toBe(5);
    await storage.close();
  });

  it("serves more downloads at once than the SDK's default pool of 50 sockets", async () => {
    const storage = await bucketStorage("pool", "");
    const key = storage.newKey();
    await storage.put(key, new Blob([Buffer.alloc(4 * 1024 * 1024)]).stream(), { limitBytes: 1e9 });
    // Each unread stream holds its socket, as a proxied download to a slow client does.
    const opened = await Promise.race([
      Promise.all(Array.from({ length: 60 }, () => storage.get(key))),
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 20_000)),
    ]);
    expect(opened?.length).toBe(60);
    for (const blob of opened ?? []) blob?.stream.destroy();
    await storage.close();
  }, 30_000);

  it("gives presigned download URLs only when asked, with the file's name and type", async () => {
    const plain = await bucketStorage("presign", "");
    const key = plain.newKey();
    const bytes = randomBytes(3000);
    await plain.put(key, new Blob([bytes]).stream(), { limitBytes: 1e9 });
    const headers = { contentType: "text/csv", contentDisposition: 'attachment; filename="r.csv"' };
    expect(await plain.downloadUrl(key, headers)).toBeUndefined();
    const presigning = await bucketStorage("presign", "", 60);
    const url = await presigning.downloadUrl(key, headers);
    expect(url).toMatch(/X-Amz-Expires=60/);
    const answer = await fetch(url!);
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-type")).toBe("text/csv");
    expect(answer.headers.get("content-disposition")).toBe('attachment; filename="r.csv"');
    expect(Buffer.from(await answer.arrayBuffer()).equals(bytes)).toBe(true);
    await Promise.all([plain.close(), presigning.close()]);
  });

  it("opens s3:// locations: refuses a missing bucket and an unreachable endpoint with what to do", async () => {
    const missing = await codeOf(openFileStorage("s3://no-such-bucket/x", { s3Endpoint: moto!.endpoint }));
    expect(missing).toBe("FILE_STORAGE_ACCESS");
    const error = await openFileStorage("s3://no-such-bucket/x", { s3Endpoint: moto!.endpoint }).catch(
      (e: Error) => e,
    );
    expect((error as Error).message).toMatch(/bucket does not exist.*Create it first/);
    const down = await codeOf(openFileStorage("s3://bucket/x", { s3Endpoint: "http://127.0.0.1:9" }));
    expect(down).toBe("FILE_STORAGE_UNAVAILABLE");
    await bucketStorage("opened", "").then((s) => s.close());
    const opened = await openFileStorage("s3://opened/p", { s3Endpoint: moto!.endpoint });
    expect(opened.where).toBe(`s3://opened/p/ at ${moto!.endpoint}`);
    const blob = await opened.storage.put(opened.storage.newKey(), null, { limitBytes: 1 });
    expect(blob.sha256).toBe(createHash("sha256").digest("hex"));
    await opened.storage.close?.();
  });
});

describe("parseS3Uri", () => {
  it("reads a bucket and a normalised prefix; refuses what is not one", () => {
    expect(parseS3Uri("s3://bkt")).toEqual({ bucket: "bkt", prefix: "" });
    expect(parseS3Uri("s3://bkt/")).toEqual({ bucket: "bkt", prefix: "" });
    expect(parseS3Uri("s3://my.bucket-1/team//files/")).toEqual({
      bucket: "my.bucket-1",
      prefix: "team/files/",
    });
    for (const bad of ["s3://", "s3://B", "s3://Upper/x", "s3://bkt/../x", "s3://bkt/a\\b", "s3://bkt/a\nb"])
      expect(() => parseS3Uri(bad), bad).toThrow(/S3 location|plain path/);
  });
});
