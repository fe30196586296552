#!/usr/bin/env node
// The entry loads nothing that needs node:sqlite: `--help`, `--version` and `generate` work on any Node.js, and a
// Node.js too old for the server gets one sentence instead of a stack trace. Each command is imported when run.
import { createRequire } from 'node:module';
import { UsageError, parseCommandArgs, DATA_DIR_OPTION, type CliArgs } from './cli/args.js';
import { COMMAND_HELP, COMMANDS, USAGE, type Command } from './cli/help.js';
import { nodeVersionProblem } from './store/node-version.js';

const OPTIONS = {
  serve: { demo: { type: 'boolean' }, ...DATA_DIR_OPTION },
  generate: {
    n: { type: 'string', short: 'n' },
    o: { type: 'string', short: 'o' },
    rate: { type: 'string' },
    days: { type: 'string' },
  },
  keys: { scope: { type: 'string' }, name: { type: 'string' }, ...DATA_DIR_OPTION },
  import: { ...DATA_DIR_OPTION },
  erase: { user: { type: 'string' }, email: { type: 'string' }, server: { type: 'string' }, ...DATA_DIR_OPTION },
  backup: { ...DATA_DIR_OPTION },
  restore: { force: { type: 'boolean' }, ...DATA_DIR_OPTION },
  vacuum: { ...DATA_DIR_OPTION },
} as const;

const POSITIONALS: Record<Command, boolean> = {
  serve: false,
  generate: false,
  keys: true,
  import: true,
  erase: false,
  backup: true,
  restore: true,
  vacuum: false,
};

async function run(command: Command, args: CliArgs): Promise<void> {
  if (command === 'generate') return (await import('./cli/generate.js')).generate(args);
  const problem = nodeVersionProblem();
  if (problem) throw new Error(problem);
  if (command === 'serve') return (await import('./cli/serve.js')).serve(args);
  if (command === 'keys') return (await import('./cli/keys.js')).keys(args);
  if (command === 'import') return (await import('./cli/import-file.js')).importFile(args);
  return (await import('./cli/ops.js'))[command](args);
}

function version(): string {
  // dist/cli.js and src/cli.ts both sit one folder below the package.json.
  return (createRequire(import.meta.url)('../package.json') as { version: string }).version;
}

async function main(argv: string[]): Promise<void> {
  const [first, ...rest] = argv;
  if (first === '--version' || first === '-v') return void console.log(version());
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    const topic = first === 'help' ? rest[0] : undefined;
    return void console.log(
      topic && (COMMANDS as readonly string[]).includes(topic) ? COMMAND_HELP[topic as Command] : USAGE,
    );
  }
  if (!(COMMANDS as readonly string[]).includes(first)) {
    throw new UsageError(`unknown command '${first}' (commands: ${COMMANDS.join(', ')})`);
  }
  const command = first as Command;
  const parsed = parseCommandArgs(command, rest, OPTIONS[command], POSITIONALS[command]);
  if (parsed.help) return void console.log(COMMAND_HELP[command]);
  await run(command, parsed);
}

main(process.argv.slice(2)).catch((error: Error) => {
  if (error instanceof UsageError) {
    const command = (COMMANDS as readonly string[]).includes(process.argv[2] ?? '') ? ` ${process.argv[2]}` : '';
    console.error(`shoplog: ${error.message}\nsee: shoplog${command} --help`);
    process.exit(2);
  }
  console.error(`shoplog: ${error.message}`);
  process.exit(1);
});
