// Runs s3rver (a Node S3 server) as a process of its own, for tests: prints `listening <port>`
// once it serves. Started with --openssl-legacy-provider: s3rver makes its ListObjectsV2
// continuation tokens with DES, which OpenSSL 3 (Node 17 and later) only offers that way.
import S3rver from 's3rver';

const [directory, bucket] = process.argv.slice(2);
const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] });
const { port } = await server.run();
process.stdout.write(`listening ${port}\n`);
process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
