/**
 * Serves the browser next-token example: bundles main.ts (tfjs, the webgl
 * and webgpu backends, this package) with esbuild and serves it with
 * index.html and the corpus, TypeScript's lib.es5.d.ts read from the
 * typescript npm package, from http://127.0.0.1:PORT (a secure origin, so
 * WebGPU is available).
 *
 *   npx tsx examples/next_token/browser/serve.ts     # then open the printed URL
 */
import {PageServer, servePage} from '../../serve_page';
import {loadCorpus} from '../train';

export type NextTokenServer = PageServer;

/** Bundles the page script and starts the server with the corpus; port 0 picks a free one. */
export function startNextTokenServer(port = 0): Promise<NextTokenServer> {
  return servePage(__dirname, port, {'/corpus.txt': ['text/plain; charset=utf-8', loadCorpus()]});
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
