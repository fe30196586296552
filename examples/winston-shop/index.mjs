// A tiny shop checkout logging through winston, shipped by the Shoplog transport.
// SHOPLOG_URL=http://127.0.0.1:5001 SHOPLOG_API_KEY=… node index.mjs
import { error, transaction } from '@shoplog/core';
import { createWinstonTransport } from '@shoplog/node-transport/winston';
import winston from 'winston';

const shoplog = createWinstonTransport({
  url: process.env.SHOPLOG_URL ?? 'http://127.0.0.1:5001',
  apiKey: process.env.SHOPLOG_API_KEY,
  spoolDir: process.env.SHOPLOG_SPOOL_DIR ?? './.shoplog-spool',
});
const logger = winston.createLogger({
  format: winston.format.combine(winston.format.errors({ stack: true }), winston.format.timestamp()),
  defaultMeta: { service: 'winston-shop' },
  transports: [shoplog],
});

const service = { name: 'winston-shop', version: '1.0.0', environment: 'demo' };
for (let i = 1; i <= 3; i++) {
  logger.info(
    transaction(
      {
        message: `order ord-${i} paid`,
        user: { id: `u-${i}` },
        shop: {
          transaction: { id: `tx-${i}`, type: 'purchase', status: 'completed' },
          amount: { minor: 1000 * i + 99, currency: 'EUR' },
          order: { id: `ord-${i}`, items: i },
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
// A plain winston error line works too.
logger.error(new Error('inventory service timed out'));

// `finish` fires only once everything is delivered (or spooled): a real flush.
shoplog.on('finish', () => {
  const m = shoplog.metrics();
  console.log(`winston-shop: ${m.sent} events delivered, ${m.spooled} spooled`);
});
logger.end();
