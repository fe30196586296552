// Runs the demo shop on 127.0.0.1 (PORT, default 3000), printing every Shoplog event as one JSON line on stdout.
import { createShopApp } from './src/app.mjs';

const stdoutExporter = {
  name: 'stdout',
  process(event) {
    process.stdout.write(`${JSON.stringify(event)}\n`);
    return event;
  },
};
const port = Number(process.env.PORT ?? 3000);
const server = createShopApp({ exporter: stdoutExporter }).listen(port, '127.0.0.1', () => {
  console.error(`express-shop listening on http://127.0.0.1:${port}`);
});
process.on('SIGTERM', () => server.close());
process.on('SIGINT', () => server.close());
