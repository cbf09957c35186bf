'use strict';
// Bounded capture of a process's output. Whatever a command prints, the supervisor holds at most
// `limit` bytes of it: a runaway `yes` must not exhaust the sandbox's memory (and the supervisor is
// the process the host needs to stay alive).

/**
 * Keeps the first `limit` bytes (`mode: 'head'`), or the first and last halves of `limit`
 * (`mode: 'head-tail'`: for a shell the end of a long build log usually says what went wrong).
 */
class OutputCapture {
  /**
   * @param {number} limit maximum number of bytes kept
   * @param {'head' | 'head-tail'} mode
   */
  constructor(limit, mode = 'head') {
    this.limit = Math.max(0, Math.floor(limit));
    this.mode = mode;
    this.headLimit = mode === 'head' ? this.limit : Math.ceil(this.limit / 2);
    this.tailLimit = this.limit - this.headLimit;
    /** @type {Buffer[]} */
    this.head = [];
    this.headBytes = 0;
    /** @type {Buffer[]} */
    this.tail = [];
    this.tailBytes = 0;
    /** Bytes seen in total, kept or not. */
    this.total = 0;
  }

  /** @param {Buffer} chunk */
  push(chunk) {
    this.total += chunk.length;
    let rest = chunk;
    if (this.headBytes < this.headLimit) {
      const take = Math.min(this.headLimit - this.headBytes, rest.length);
      this.head.push(rest.subarray(0, take));
      this.headBytes += take;
      rest = rest.subarray(take);
    }
    if (rest.length === 0 || this.tailLimit === 0) return;
    this.tail.push(rest);
    this.tailBytes += rest.length;
    // Drop whole chunks from the front while the rest still fills the tail, then trim one.
    while (this.tailBytes - this.tail[0].length >= this.tailLimit) this.tailBytes -= this.tail.shift().length;
    if (this.tailBytes > this.tailLimit) {
      const excess = this.tailBytes - this.tailLimit;
      this.tail[0] = this.tail[0].subarray(excess);
      this.tailBytes -= excess;
    }
  }

  /** Whether some output was dropped. */
  get truncated() {
    return this.total > this.headBytes + this.tailBytes;
  }

  /** The kept bytes; in head-tail mode a marker line says how much was left out between them. */
  bytes() {
    const head = Buffer.concat(this.head);
    if (!this.truncated || this.mode === 'head') return Buffer.concat([head, ...this.tail]);
    const omitted = this.total - this.headBytes - this.tailBytes;
    const marker = Buffer.from(`\n[... ${omitted} bytes of output omitted ...]\n`);
    return Buffer.concat([head, marker, ...this.tail]);
  }
}

module.exports = { OutputCapture };
