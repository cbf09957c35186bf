import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const BIN = join(import.meta.dirname, '..', '..', 'packages', 'cli', 'bin', 'longhand.js');

/** A `longhand serve` child process on a fixed port and data directory, that can be killed and restarted. */
export class ServerProcess {
  private child: ChildProcess | undefined;
  readonly url: string;
  log = '';

  constructor(
    readonly port: number,
    readonly dataDir: string,
    readonly env: Record<string, string>,
    readonly args: string[] = [],
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  /** Starts the server and waits until it answers `/health`. */
  async start(timeoutMs = 30_000): Promise<void> {
    const child = spawn(process.execPath, [BIN, 'serve', '--port', String(this.port), '--data-dir', this.dataDir, ...this.args], {
      env: { ...process.env, ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const append = (chunk: Buffer) => {
      this.log = (this.log + chunk.toString()).slice(-20_000);
    };
    child.stdout!.on('data', append);
    child.stderr!.on('data', append);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}:\n${this.log}`);
      try {
        const response = await fetch(`${this.url}/health`);
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`the server did not start within ${timeoutMs} ms:\n${this.log}`);
  }

  /** Kills the server with SIGKILL and waits for it to be gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await gone;
  }

  /** Stops the server gracefully (SIGTERM: it drains). */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await gone;
  }
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
