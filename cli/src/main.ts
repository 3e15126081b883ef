// `pipeline`: the delivery pipeline's command line. Each command is a thin adapter over a library core.
// Exit codes everywhere: 0 done, 1 failed, 2 usage (one line naming the flag, and where its help is).
import { BUILD_IMAGE_USAGE, buildImageCommand } from './commands/build-image.js';
import { DEPLOY_USAGE, deployCommand } from './commands/deploy.js';
import { SLO_USAGE, sloCommand } from './commands/slo.js';
import { SMOKE_USAGE, smokeCommand } from './commands/smoke.js';
import { DOWN_USAGE, downCommand, LOGS_USAGE, logsCommand, STACK_USAGE, STATUS_USAGE, statusCommand, SUPERVISE_USAGE, superviseCommand, UP_USAGE, upCommand } from './commands/stack.js';
import { defaultContext, UsageError, type Context } from './context.js';
import { REVISION, VERSION } from './version.js';

const USAGE = `Usage: pipeline <command> [options]

Commands:
${STACK_USAGE}
${SMOKE_USAGE}
${BUILD_IMAGE_USAGE}
${DEPLOY_USAGE}
${SLO_USAGE}
  help [<command>]    this help, or one command's (also: pipeline <command> --help)
  --version           print the version

Exit codes: 0 done, 1 failed, 2 usage error.
The SHS service has its own CLI: npx shs --help
Environment: PIPELINE_STATE_DIR (default <repo>/.state), PIPELINE_PG_BINDIR (PostgreSQL binaries),
PIPELINE_TOOL_CACHE (downloaded tools, default ~/.cache/shs-delivery/tools).
`;

type Command = (argv: string[], ctx: Context) => Promise<number>;
const COMMANDS: Record<string, { run: Command; usage: string }> = {
  up: { run: upCommand, usage: UP_USAGE },
  down: { run: downCommand, usage: DOWN_USAGE },
  status: { run: statusCommand, usage: STATUS_USAGE },
  logs: { run: logsCommand, usage: LOGS_USAGE },
  supervise: { run: superviseCommand, usage: SUPERVISE_USAGE },
  smoke: { run: smokeCommand, usage: SMOKE_USAGE },
  'build-image': { run: buildImageCommand, usage: BUILD_IMAGE_USAGE },
  deploy: { run: deployCommand, usage: DEPLOY_USAGE },
  slo: { run: sloCommand, usage: SLO_USAGE },
};

/** One command's help: its usage lines, without the listing's indent. */
export function commandHelp(command: string): string {
  const usage = COMMANDS[command]!.usage.replace(/^ {2}/gm, '');
  return `Usage: pipeline ${usage}\n`;
}

/** A usage error on stderr: one line naming the flag and the problem, then where the help is. */
function usageError(command: string | undefined, message: string): number {
  const who = command ? `pipeline ${command}` : 'pipeline';
  process.stderr.write(`${who}: ${message}\nRun "${who} --help" for its usage.\n`);
  return 2;
}

export async function main(argv: string[], ctx: Context): Promise<number> {
  const [command, ...rest] = argv;
  if (command === '--version' || command === 'version') {
    ctx.out(`pipeline ${VERSION} (${REVISION})\n`);
    return 0;
  }
  if (command === undefined || command === '--help' || command === '-h' || (command === 'help' && rest.length === 0)) {
    ctx.out(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command === 'help') {
    if (!COMMANDS[rest[0]!]) return usageError(undefined, `unknown command "${rest[0]}"`);
    ctx.out(commandHelp(rest[0]!));
    return 0;
  }
  const entry = COMMANDS[command];
  if (!entry) return usageError(undefined, `unknown command "${command}"`);
  if (rest.includes('--help') || rest.includes('-h')) {
    ctx.out(commandHelp(command));
    return 0;
  }
  try {
    return await entry.run(rest, ctx);
  } catch (err) {
    if (err instanceof UsageError) return usageError(command, err.message);
    process.stderr.write(`pipeline ${command}: ${(err as Error).message || String(err)}\n`);
    return 1;
  }
}

main(process.argv.slice(2), defaultContext()).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`pipeline: ${(err as Error).message}\n`);
    process.exitCode = 1;
  },
);
