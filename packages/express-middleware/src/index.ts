export { shoplog, shoplogErrorHandler } from './middleware.js';
export type { ShoplogMiddleware, ShoplogErrorMiddleware, ShoplogErrorHandlerOptions } from './middleware.js';
export type { ShoplogMiddlewareOptions, StatusClass } from './options.js';
export { UNMATCHED_ROUTE } from './route-template.js';
export { parseTraceparent, formatTraceparent } from './trace.js';
export type { IncomingTrace } from './trace.js';
export type { RedactorLike } from './url.js';
export type {
  EventSink,
  FraudScorerLike,
  HeaderBag,
  NextFunction,
  RequestShoplog,
  ShoplogRequest,
  ShoplogResponse,
  TrackAction,
  TrackFields,
  TransactionInput,
  TransactionOutcome,
} from './types.js';
