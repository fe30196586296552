import TransportStream from 'winston-transport';
import { createShipper, type Shipper, type ShipperMetrics, type ShipperOptions } from './shipper.js';
import type { LogRecord } from './record.js';

/** Options of the winston transport: the shipper's plus winston's own `level`, `silent`, `handleExceptions`. */
export interface WinstonTransportOptions
  extends ShipperOptions, Omit<TransportStream.TransportStreamOptions, 'format'> {}

/**
 * A winston transport. `log(info, cb)` queues and calls back at once (never throws into the app); the records go
 * through the core pipeline (redaction on by default) and the delivery engine. `finish` is emitted only after
 * everything was delivered, dead-lettered or spooled: `logger.end()` then `logger.on('finish')` is a real flush.
 */
export class ShoplogWinstonTransport extends TransportStream {
  private readonly shipper: Shipper;

  constructor(options: WinstonTransportOptions) {
    const { level, silent, handleExceptions, handleRejections, ...shipperOptions } = options;
    super({ level, silent, handleExceptions, handleRejections });
    this.shipper = createShipper(shipperOptions);
  }

  override log(info: unknown, callback?: () => void): void {
    try {
      this.shipper.write(info as LogRecord);
    } catch (err) {
      this.emit('warn', err);
    }
    // `logged` is for listeners only (winston itself does not listen): scheduling it per log for nobody costs more
    // than the rest of the transport.
    if (this.listenerCount('logged') > 0) setImmediate(() => this.emit('logged', info));
    callback?.();
  }

  /** Resolves when everything logged before is delivered, dead-lettered or spooled. */
  flush(): Promise<void> {
    return this.shipper.flush();
  }

  /** Delivery metrics. */
  metrics(): ShipperMetrics {
    return this.shipper.metrics();
  }

  /** Closes the delivery engine (drain or spool by the deadline). */
  override close(): void {
    void this.shipper.close();
  }

  override _final(callback: (error?: Error | null) => void): void {
    // `finish` comes after this callback: only once the events are delivered or spooled.
    this.shipper.close().then(() => callback(), callback);
  }
}

/** Creates the winston transport (`new winston.transports` style: `transports: [createWinstonTransport({ url })]`). */
export function createWinstonTransport(options: WinstonTransportOptions): ShoplogWinstonTransport {
  return new ShoplogWinstonTransport(options);
}

export default ShoplogWinstonTransport;
