/**
 * Serves one example page from http://127.0.0.1:PORT (a secure origin, so
 * WebGPU is available): `dir`/main.ts bundled with esbuild (tfjs, its
 * backends, this package) as /bundle.js, `dir`/index.html as /, and any extra
 * files. Used by examples/browser_demo and examples/next_token/browser.
 */
import {readFileSync} from 'fs';
import * as http from 'http';
import type {AddressInfo} from 'net';
import * as path from 'path';
import * as esbuild from 'esbuild';

export interface PageServer {
  url: string;
  close: () => Promise<void>;
}

/** Bundles the page script (about a second) and starts the server; port 0 picks a free one. */
export async function servePage(dir: string, port = 0,
    extra: Record<string, [contentType: string, body: string]> = {}): Promise<PageServer> {
  const bundle = await esbuild.build({
    entryPoints: [path.join(dir, 'main.ts')],
    bundle: true, write: false, format: 'iife', platform: 'browser', target: 'es2020',
    keepNames: true,  // tfjs keys its shader caches by program class names
    logLevel: 'silent', define: {'process.env.NODE_ENV': '"production"'},
  });
  const files: Record<string, [string, string]> = {
    '/': ['text/html', readFileSync(path.join(dir, 'index.html'), 'utf8')],
    '/bundle.js': ['text/javascript', bundle.outputFiles[0].text],
    ...extra,
  };
  const server = http.createServer((req, res) => {
    const file = files[(req.url ?? '/').split('?')[0]];
    if (file == null) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, {'content-type': file[0]}).end(file[1]);
  });
  await new Promise<void>(resolve => server.listen(port, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return {url, close: () => new Promise(resolve => server.close(() => resolve()))};
}
