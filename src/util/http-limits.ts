import { STATUS_CODES, type Server } from "node:http";
import type { Duplex } from "node:stream";
import { BadRequestError, errorStatus, RequestTooLargeError, type LabrunError } from "../errors.js";

/** The longest URL (path and query) the servers read; past it, 414 URI_TOO_LONG. */
export const maxUrlBytes = 16 * 1024;
/** Node's limit on the request line and headers together (its default, 16 KiB, would cut a 16 KiB URL). */
export const maxHeaderBytes = 64 * 1024;

// Written on the socket by hand (the request never reached the app), with the status of errorTable.
function jsonAnswer(error: LabrunError): string {
  const status = errorStatus(error.code) ?? 400;
  const body = JSON.stringify({
    error: { code: error.code, message: error.message, details: error.details },
  });
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
  );
}

/**
 * Answers the requests Node's HTTP parser refuses (headers over `maxHeaderBytes`, malformed requests) with a
 * JSON error like every other, instead of Node's bare `431` or a reset connection.
 */
export function answerClientErrors(server: Server): void {
  server.on("clientError", (error: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Duplex) => {
    if (error.code === "ECONNRESET" || !socket.writable) return void socket.destroy();
    let answer: string;
    if (error.code === "HPE_HEADER_OVERFLOW") {
      // A request line with no end in sight is a URL too long; otherwise the headers are.
      const start = error.rawPacket?.toString("latin1", 0, maxHeaderBytes) ?? "";
      const eol = start.indexOf("\r\n");
      answer = jsonAnswer(
        eol < 0 || eol > maxUrlBytes
          ? new RequestTooLargeError("url", maxUrlBytes)
          : new RequestTooLargeError("headers", maxHeaderBytes),
      );
    } else {
      answer = jsonAnswer(new BadRequestError("The request is not valid HTTP/1.1."));
    }
    socket.end(answer);
  });
}
