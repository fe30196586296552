// A tiny shop checkout logging through pino, shipped by the Shoplog transport running in pino's worker thread.
// SHOPLOG_URL=http://127.0.0.1:5001 SHOPLOG_API_KEY=… node index.mjs
import { error, transaction } from '@shoplog/core';
import { createPinoTransport } from '@shoplog/node-transport/pino';
import { pino } from 'pino';

// pino.transport() with the Shoplog transport in pino's worker, plus the hooks that deliver before a SIGTERM ends us.
const transport = createPinoTransport({
  url: process.env.SHOPLOG_URL ?? 'http://127.0.0.1:5001',
  apiKey: process.env.SHOPLOG_API_KEY,
  spoolDir: process.env.SHOPLOG_SPOOL_DIR ?? './.shoplog-spool',
});
const logger = pino({ base: { service: 'pino-shop' } }, transport);

const service = { name: 'pino-shop', version: '1.0.0', environment: 'demo' };
for (let i = 1; i <= 3; i++) {
  logger.info(
    transaction(
      {
        message: `order ord-${i} paid`,
        user: { id: `u-${i}` },
        shop: {
          transaction: { id: `tx-${i}`, type: 'purchase', status: 'completed' },
          amount: { value: `${10 * i}.99`, currency: 'EUR' },
          order: { id: `ord-${i}`, items: i },
          payment: { method: 'card', card: { brand: 'visa', last4: '4242' } },
        },
      },
      { service },
    ),
  );
}
logger.warn(
  error(
    {
      message: 'payment declined',
      error: { type: 'CardDeclined', message: 'insufficient funds' },
      http: { response: { status_code: 402 } },
    },
    { service },
  ),
);
// Plain pino lines work too: an error with `err`, and a pino-http style request line.
logger.error(new Error('inventory service timed out'), 'checkout degraded');
logger.info(
  { req: { method: 'POST', url: '/api/checkout' }, res: { statusCode: 201 }, responseTime: 42.5 },
  'request completed',
);
console.log('pino-shop: 6 events logged; pino flushes the transport on exit');
