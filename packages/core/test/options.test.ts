import { OptionsError, parseOptions } from '@shoplog/core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

const Schema = z.strictObject({
  port: z.number().int().default(80),
  retry: z.object({ attempts: z.number().min(1) }).optional(),
});

describe('parseOptions', () => {
  it('applies defaults and treats undefined as no options', () => {
    expect(parseOptions('createThing', Schema, undefined)).toEqual({ port: 80 });
    expect(parseOptions('createThing', Schema, { port: 1 })).toEqual({ port: 1 });
  });

  it('throws one OptionsError (a TypeError) naming the factory and every bad option, with the issues', () => {
    let thrown: unknown;
    try {
      parseOptions('createThing', Schema, { port: 'x', retry: { attempts: 0 }, extra: 1 });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(OptionsError);
    expect(thrown).toBeInstanceOf(TypeError);
    const error = thrown as OptionsError;
    expect(error.name).toBe('OptionsError');
    expect(error.issues.map((i) => i.path).sort()).toEqual(['(root)', 'port', 'retry.attempts']);
    expect(error.message).toMatch(/^createThing: invalid options: /);
    for (const issue of error.issues) expect(error.message).toContain(`${issue.path}: ${issue.message}`);
  });
});
