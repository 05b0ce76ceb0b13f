import type { Server } from "node:http";
import type { Duplex } from "node:stream";

/** The longest URL (path and query) the servers read; past it, 414 URI_TOO_LONG. */
export const maxUrlBytes = 16 * 1024;
/** Node's limit on the request line and headers together (its default, 16 KiB, would cut a 16 KiB URL). */
export const maxHeaderBytes = 64 * 1024;

function jsonAnswer(status: number, reason: string, code: string, message: string): string {
  const body = JSON.stringify({ error: { code, message, details: {} } });
  return (
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\n` +
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
      answer =
        eol < 0 || eol > maxUrlBytes
          ? jsonAnswer(414, "URI Too Long", "URI_TOO_LONG", urlMessage)
          : jsonAnswer(431, "Request Header Fields Too Large", "HEADERS_TOO_LARGE", headersMessage);
    } else {
      answer = jsonAnswer(400, "Bad Request", "BAD_REQUEST", "The request is not valid HTTP/1.1.");
    }
    socket.end(answer);
  });
}

const urlMessage = `The request URL is longer than ${maxUrlBytes} bytes. Send long values in a POST body instead.`;
const headersMessage = `The request headers are larger than ${maxHeaderBytes} bytes. Send fewer or shorter headers.`;
