// `pipeline`: the delivery pipeline's command line. Each command is a thin adapter over a library core.
import { downCommand, logsCommand, STACK_USAGE, statusCommand, superviseCommand, upCommand } from './commands/stack.js';
import { BUILD_IMAGE_USAGE, buildImageCommand } from './commands/build-image.js';
import { SMOKE_USAGE, smokeCommand } from './commands/smoke.js';
import { DEPLOY_USAGE, deployCommand } from './commands/deploy.js';
import { SLO_USAGE, sloCommand } from './commands/slo.js';
import { defaultContext, UsageError, type Context } from './context.js';

const USAGE = `Usage: pipeline <command> [options]

Commands:
${STACK_USAGE}
${SMOKE_USAGE}
${BUILD_IMAGE_USAGE}
${DEPLOY_USAGE}
${SLO_USAGE}
  help                show this help

The SHS service has its own CLI: npx shs --help
Environment: PIPELINE_STATE_DIR (default <repo>/.state), PIPELINE_PG_BINDIR (PostgreSQL binaries).
`;

type Command = (argv: string[], ctx: Context) => Promise<number>;
const COMMANDS: Record<string, Command> = {
  up: upCommand,
  down: downCommand,
  status: statusCommand,
  logs: logsCommand,
  supervise: superviseCommand,
  smoke: smokeCommand,
  'build-image': buildImageCommand,
  deploy: deployCommand,
  slo: sloCommand,
};

export async function main(argv: string[], ctx: Context): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    ctx.out(USAGE);
    return command === undefined ? 2 : 0;
  }
  const run = COMMANDS[command];
  if (!run) throw new UsageError(`unknown command "${command}"`);
  if (rest.includes('--help') || rest.includes('-h')) {
    ctx.out(USAGE);
    return 0;
  }
  return run(rest, ctx);
}

main(process.argv.slice(2), defaultContext()).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const usage = err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`pipeline: ${(err as Error).message}\n${usage ? `\n${USAGE}` : ''}`);
    process.exitCode = usage ? 2 : 1;
  },
);
