/**
 * Serves the browser demo: bundles main.ts (tfjs, the webgl and webgpu
 * backends, this package) with esbuild and serves it with index.html from
 * http://127.0.0.1:PORT (a secure origin, so WebGPU is available).
 *
 *   npx tsx examples/browser_demo/serve.ts            # then open the printed URL
 *   npx tsx examples/browser_demo/serve.ts --port 8080
 */
import {PageServer, servePage} from '../serve_page';

export type DemoServer = PageServer;

/** Bundles the page script (about a second) and starts the server; port 0 picks a free one. */
export function startDemoServer(port = 0): Promise<DemoServer> {
  return servePage(__dirname, port);
}

if (require.main === module) {
  const i = process.argv.indexOf('--port');
  startDemoServer(i > 0 ? Number(process.argv[i + 1]) : 8080).then(s => {
    console.log(`browser demo at ${s.url}  (?backend=webgl|webgpu|cpu, ?epochs=N); Ctrl-C to stop`);
  }).catch(e => {
    console.error(e);
    process.exit(1);
  });
}
