'use strict';
// The sandbox's only way out: a TCP listener on loopback inside the sandbox's network namespace
// whose connections are piped, byte for byte, to the host's egress proxy over a Unix socket bound
// into the sandbox. The relay decides nothing; the proxy on the host applies the policy.

const { createServer, connect } = require('node:net');

/**
 * Starts the relay and resolves with the port it listens on (useful when `port` is 0, as in the
 * unsandboxed provider where 3128 may be taken).
 * @param {{ socketPath: string, host: string, port: number }} options
 * @returns {Promise<number>}
 */
function startProxyRelay(options) {
  const server = createServer((client) => {
    const upstream = connect(options.socketPath);
    const abort = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', abort);
    upstream.on('error', abort);
    // A side that goes away ends the other gracefully, so bytes already written still arrive.
    client.on('close', () => upstream.end());
    upstream.on('close', () => client.end());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : options.port);
    });
  });
}

module.exports = { startProxyRelay };
