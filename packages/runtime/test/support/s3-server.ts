import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** An S3-compatible server on loopback (s3rver, in a child process) with one empty bucket, for tests. */
export interface S3Server {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  bucket: string;
  /** The account s3rver knows. s3rver checks the key id but not the SigV4 signature itself. */
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** An `--object-store` URL of the bucket under `prefix`. */
  url(prefix?: string): string;
  close(): Promise<void>;
}

const MAIN = join(import.meta.dirname, 's3rver-main.mjs');

export async function startS3Server(bucket = 'longhand'): Promise<S3Server> {
  const directory = await mkdtemp(join(tmpdir(), 'longhand-s3rver-'));
  const child = spawn(process.execPath, ['--openssl-legacy-provider', MAIN, directory, bucket], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`s3rver did not start:\n${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening (\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`s3rver exited with ${code}:\n${output}`)));
  });
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    bucket,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    url: (prefix = '') => `s3://${bucket}/${prefix}?endpoint=${encodeURIComponent(endpoint)}&path_style=true`,
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await gone;
      }
      await rm(directory, { recursive: true, force: true });
    },
  };
}
