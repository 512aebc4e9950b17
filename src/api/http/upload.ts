/**
 * A file sent to an import endpoint: the `file` part of a multipart upload (what consoles and `curl -F`
 * send), or else the raw request body (`curl --data-binary`).
 */
import { boundaryOf, parseMultipart } from "../../lib/multipart.ts";
import type { HttpRequest } from "../../ports/net.ts";

export async function uploadedFile(req: HttpRequest): Promise<Uint8Array> {
  const boundary = boundaryOf(req.header("content-type"));
  if (!boundary) return await req.bytes();
  const file = parseMultipart(await req.bytes(), boundary).find((x) => x.name === "file");
  if (!file) throw new UploadMissing("no 'file' part in the upload");
  return file.data;
}

export class UploadMissing extends Error {
  override name = "UploadMissing";
}
