import { createStateBatch, type StateBatch } from '../state/store.js';

// The per-scoring working state of the profile features, and the record kinds by number.

/** Record kinds, as indices of STATE_KINDS. */
export const ACCOUNT = 0;
export const IP = 1;
export const CARD = 2;
export const EMAIL = 3;
export const DEVICE = 4;
export const DOMAIN = 5;
export const BIN = 6;
export const SHOP = 7;

/** The working state of one scoring (one per scoring in flight: an async scoring must not share it). */
export class ProfileContext {
  readonly batch: StateBatch = createStateBatch(8);
  /** Batch position of each record kind, -1 when the transaction has none. */
  readonly slot = new Int32Array(8);
  now = 0;
  identity = 0;
  deviceSig = 0;
  cardH = 0;
  ipH = 0;
  emailH = 0;
  country = 0;
  variant = false;
  domainMajor = false;
  suspicion = 0;
  declined = false;
  micro = false;
  known = false;
  young = false;
  aged = false;
  ageDays = 0;
  ok = 0;
  newDevice = false;
  newCard = false;
  newEmail = false;
  newIp = false;
  newCountry = false;
  pairIp = false;
  pairCard = false;
  pairEmail = false;
  pairDevice = false;
  logAmount = 0;
}
