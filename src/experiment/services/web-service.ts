import { Service } from "./service.js";

/**
 * A service that serves a web page or API at a URL (experimaestro's `WebService`). Subclasses implement
 * `serve()`, which starts serving and returns the URL, and `close()`. `url` is set from the moment the
 * service is RUNNING until it is STOPPED; `labrun run-experiment` prints it and records it in
 * services.json. A service that serves on 127.0.0.1 should still check the Host header of each request
 * (`checkHost(requestPolicy(host), req.headers.host)`, as JobFilesService does): a page of another site can
 * rebind its own name to 127.0.0.1.
 *
 * @example
 * class Hello extends WebService {
 *   readonly id = "hello";
 *   #server = createServer((_req, res) => res.end("hello"));
 *   protected async serve() {
 *     await new Promise<void>((ok) => this.#server.listen(0, "127.0.0.1", ok));
 *     return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/`;
 *   }
 *   protected async close() {
 *     await new Promise((done) => this.#server.close(done));
 *   }
 * }
 */
export abstract class WebService extends Service {
  #url: string | undefined;

  /** Where the service answers, while it is RUNNING (and STOPPING); undefined otherwise. */
  get url(): string | undefined {
    return this.#url;
  }

  override description(): string {
    return this.#url ? `${this.id} at ${this.#url}` : this.id;
  }

  /** Starts serving; resolves to the URL to open. */
  protected abstract serve(): Promise<string>;
  /** Stops serving. */
  protected abstract close(): Promise<void>;

  protected async onStart(): Promise<void> {
    this.#url = await this.serve();
  }

  protected async onStop(): Promise<void> {
    await this.close();
  }

  protected override markStopped(): void {
    // Cleared first, so that listeners told of STOPPED see no URL.
    this.#url = undefined;
    super.markStopped();
  }
}

/** The URL of a service, when it serves one (also for a WebService of another copy of labrun). */
export function serviceUrl(service: Service): string | undefined {
  const url = (service as { url?: unknown }).url;
  return typeof url === "string" ? url : undefined;
}
