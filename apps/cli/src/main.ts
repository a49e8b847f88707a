import { FlowsmithConnectionError, FlowsmithError } from '@flowsmith/client';
import { COMMANDS, helpText } from './commands';
import { CliContext, CliUsageError, createContext } from './context';

declare const FLOWSMITH_VERSION: string;

/**
 * `flowsmith`: the command line of the Flowsmith API. Exit codes (docs/cli.md): 0 done, 1 something
 * failed (a render, a request, the server out of reach), 2 the command line itself is wrong.
 */
async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(helpText(rest[0]));
    return 0;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write(`${typeof FLOWSMITH_VERSION === 'string' ? FLOWSMITH_VERSION : 'dev'}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) throw new CliUsageError(`Unknown command "${name}". Run "flowsmith --help" for the list.`);
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(helpText(name));
    return 0;
  }
  let context: CliContext | undefined;
  try {
    context = createContext(name, rest, command.options);
    return await command.run(context);
  } finally {
    context?.progress.stop();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof CliUsageError) {
      process.stderr.write(`flowsmith: ${error.message}\n`);
      process.exitCode = 2;
      return;
    }
    if (error instanceof FlowsmithError) {
      process.stderr.write(`flowsmith: ${error.message} (${error.code}${error.param ? `, ${error.param}` : ''}; request ${error.requestId || 'unknown'})\n`);
      if (error.code === 'not_authenticated') process.stderr.write('flowsmith: this command needs an API key: set FLOWSMITH_API_KEY or pass --key.\n');
    } else if (error instanceof FlowsmithConnectionError) {
      const cause = (error.cause as { cause?: { code?: string } } | undefined)?.cause?.code;
      process.stderr.write(`flowsmith: cannot reach ${new URL(error.url).origin}${cause ? ` (${cause})` : ''}: is the server running? Point FLOWSMITH_URL or --url at it.\n`);
    } else {
      process.stderr.write(`flowsmith: ${(error as Error).message}\n`);
    }
    process.exitCode = 1;
  },
);
