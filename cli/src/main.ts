// `pipeline`: the delivery pipeline's command line. Each command is a thin adapter over a library core.
import { parseArgs } from 'node:util';

const USAGE = `Usage: pipeline <command> [options]

Commands:
  help                show this help

The local stack (up, down, status), build-image, deploy and smoke arrive with their issues.
The SHS service itself has its own CLI: npx shs --help
`;

export async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: false,
    options: { help: { type: 'boolean', short: 'h' } },
  });
  const command = positionals[0];
  if (values.help || command === undefined || command === 'help') {
    process.stdout.write(USAGE);
    return command === undefined && !values.help ? 2 : 0;
  }
  process.stderr.write(`pipeline: unknown command "${command}"\n\n${USAGE}`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`pipeline: ${(err as Error).message}\n`);
    process.exitCode = 1;
  },
);
