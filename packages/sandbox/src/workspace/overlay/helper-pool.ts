/**
 * Attribute helpers handed out ready: perl takes 6 to 9 ms to answer its first request, which a
 * checkpoint would otherwise spend with its sandbox frozen and a resume spend waiting. A helper
 * its caller closes becomes the spare (a helper keeps no state between requests: each mount is
 * made in a child it forks), else one spare starts, after the caller has gone on; a spare nobody
 * takes within `IDLE_MS` ends, so an idle server keeps no extra process.
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
    handed.whenClosed(() => this.#giveBack(handed));
    return handed;
  }

  /** Ends the spare and starts no more (shutdown). */
  close(): void {
    this.#closed = true;
    this.#drop()?.close();
  }

  /** A closed helper: kept as the spare (true) when there is none and it still answers. */
  #giveBack(helper: OverlayAttrs): boolean {
    if (this.#closed) return false;
    if (this.#spare || !helper.usable) {
      // Spawning takes milliseconds: after the caller's own continuation has run.
      setImmediate(() => this.#startSpare());
      return false;
    }
    this.#keep(helper);
    return true;
  }

  #startSpare(): void {
    if (this.#spare || this.#closed) return;
    this.#keep(new OverlayAttrs());
  }

  #keep(helper: OverlayAttrs): void {
    helper.keepAlive(false);
    this.#spare = helper;
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
