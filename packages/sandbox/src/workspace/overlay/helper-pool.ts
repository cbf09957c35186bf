/**
 * Attribute helpers handed out ready: perl takes 6 to 9 ms to answer its first request, which a
 * checkpoint would otherwise spend with its sandbox frozen and a resume spend waiting. When a
 * caller closes its helper, one spare starts (then, not while the caller's work competes for the
 * CPU); a spare nobody takes within `IDLE_MS` ends, so an idle server keeps no extra process.
 */
import { OverlayAttrs } from './overlay-helper.js';

const IDLE_MS = 5_000;

export class HelperPool {
  #spare: OverlayAttrs | undefined;
  #expiry: NodeJS.Timeout | undefined;
  #closed = false;

  /** A helper, ready if a spare was waiting; the caller closes it when done. */
  take(): OverlayAttrs {
    const spare = this.#drop();
    const handed = spare?.usable ? spare : new OverlayAttrs();
    if (spare && spare !== handed) spare.close();
    handed.keepAlive(true);
    // After the caller's own continuation has run: spawning takes milliseconds, which a
    // checkpoint would otherwise add to the time it is acknowledged in.
    handed.whenClosed(() => setImmediate(() => this.#startSpare()));
    return handed;
  }

  /** Ends the spare and starts no more (shutdown). */
  close(): void {
    this.#closed = true;
    this.#drop()?.close();
  }

  #startSpare(): void {
    if (this.#spare || this.#closed) return;
    const spare = new OverlayAttrs();
    spare.keepAlive(false);
    this.#spare = spare;
    this.#expiry = setTimeout(() => this.#drop()?.close(), IDLE_MS);
    this.#expiry.unref();
  }

  #drop(): OverlayAttrs | undefined {
    clearTimeout(this.#expiry);
    const spare = this.#spare;
    this.#spare = undefined;
    return spare;
  }
}
