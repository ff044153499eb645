import { createServer } from 'node:net';

/** A TCP port that was free on `host` a moment ago (the OS picks it); for tests and local servers. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => {
        if (address === null || typeof address === 'string') reject(new Error('no port assigned'));
        else resolvePort(address.port);
      });
    });
  });
}
