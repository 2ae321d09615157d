/**
 * Serves the browser next-token example: bundles main.ts (tfjs, the webgl
 * and webgpu backends, this package) with esbuild and serves it with
 * index.html and the corpus, TypeScript's lib.es5.d.ts read from the
 * typescript npm package, from http://127.0.0.1:PORT (a secure origin, so
 * WebGPU is available).
 *
 *   npx tsx examples/next_token/browser/serve.ts     # then open the printed URL
 */
import {readFileSync} from 'fs';
import * as http from 'http';
import type {AddressInfo} from 'net';
import * as path from 'path';
import * as esbuild from 'esbuild';
import {loadCorpus} from '../train';

export interface NextTokenServer {
  url: string;
  close: () => Promise<void>;
}

/** Bundles the page script and starts the server; port 0 picks a free one. */
export async function startNextTokenServer(port = 0): Promise<NextTokenServer> {
  const bundle = await esbuild.build({
    entryPoints: [path.join(__dirname, 'main.ts')],
    bundle: true, write: false, format: 'iife', platform: 'browser', target: 'es2020',
    keepNames: true,  // tfjs keys its shader caches by program class names
    logLevel: 'silent', define: {'process.env.NODE_ENV': '"production"'},
  });
  const files: Record<string, [string, string]> = {
    '/': ['text/html', readFileSync(path.join(__dirname, 'index.html'), 'utf8')],
    '/bundle.js': ['text/javascript', bundle.outputFiles[0].text],
    '/corpus.txt': ['text/plain; charset=utf-8', loadCorpus()],
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

if (require.main === module) {
  const i = process.argv.indexOf('--port');
  startNextTokenServer(i > 0 ? Number(process.argv[i + 1]) : 8081).then(s => {
    console.log(`next-token example at ${s.url}  (?backend=webgpu|webgl|cpu, ?quick=1, ?steps=N); Ctrl-C to stop`);
  }).catch(e => {
    console.error(e);
    process.exit(1);
  });
}
