import { definePlugin, parseOptions, PLUGIN_API_VERSION, type Notification, type Notifier } from '@shoplog/core';
import { z } from 'zod';
import { oneLine } from './errors.js';
import { VERSION } from './version.js';

/** Options of the log channel. */
export const LogOptionsSchema = z.strictObject({
  /** Where the lines go. @default 'stdout' */
  stream: z.enum(['stdout', 'stderr']).default('stdout'),
});

/** Options of `createLogNotifier`. */
export interface LogNotifierOptions {
  /** Where the lines go. @default 'stdout' */
  stream?: 'stdout' | 'stderr';
  /** Receives each line instead of the stream (without the trailing newline). */
  write?: (line: string) => void;
}

/** One line per notification; its fields flattened so a title cannot forge a second line. */
export function logLine(notification: Notification): string {
  return `shoplog notify: [${notification.severity}] ${notification.type} ${oneLine(notification.title, 200)}: ${oneLine(notification.text, 500)} (${oneLine(notification.id, 120)})`;
}

function build(write: (line: string) => void): Notifier {
  return {
    name: 'log',
    async notify(notification) {
      write(logLine(notification));
    },
  };
}

/** A channel that writes one line per notification to the console: for development and the demo, no network. */
export function createLogNotifier(options: LogNotifierOptions = {}): Notifier {
  const { write, ...rest } = options;
  const { stream } = parseOptions('createLogNotifier', LogOptionsSchema, rest);
  return build(write ?? ((line) => process[stream].write(`${line}\n`)));
}

/** The log channel as a plugin (`kind: 'notifier'`). */
export const logNotifier = definePlugin({
  name: '@shoplog/plugin-notify/log',
  version: VERSION,
  apiVersion: PLUGIN_API_VERSION,
  kind: 'notifier',
  description: 'One line per notification on stdout or stderr (development, demo)',
  options: LogOptionsSchema,
  create: ({ stream }) => build((line) => process[stream].write(`${line}\n`)),
});
