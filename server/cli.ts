import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { importAgencies } from './agencies/service.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { exportLinks } from './invitations/service.js';
import { systemClock, type Clock } from './platform/clock.js';
import { csvLine } from './platform/csv.js';
import { openDatabase, type Db } from './platform/db.js';
import { AppError, ValidationError } from './platform/errors.js';
import { readInputFile } from './platform/readFile.js';
import { loadSecretKey } from './platform/secret.js';
import { formatReport } from './platform/tabular.js';
import { importRespondents } from './respondents/service.js';
import { changeSurveyStatus, loadSurveyDefinition, parseDefinitionText } from './surveys/service.js';

/** `npm run cli -- COMMAND [options]` (interfaces.md §2). Exit 0 = done, 1 = input rejected
 * (reasons printed), 2 = wrong usage. */

export const USAGE = `Usage: npm run cli -- COMMAND [options]

  survey load FILE.json                       create or update a survey from a definition
  survey open CODE | survey close CODE        change a survey's status
  agencies import FILE                        import agencies (CSV or XLSX)
  respondents import --survey CODE FILE       import a survey's respondents (CSV or XLSX)
  links export --survey CODE [--agency A] [--group G]
                                              CSV of personal links to stdout
  backup FILE                                 consistent copy of the live database

Environment: DATABASE_PATH (default data/integritas.db), see README for the rest.`;

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

class UsageError extends Error {}

interface CliContext {
  config: Config;
  db: Db;
  clock: Clock;
  io: CliIo;
  secretKey: () => Buffer;
}

type Options = Record<string, string | boolean | undefined>;

function requireOption(options: Options, name: string): string {
  const value = options[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

function onePositional(positionals: string[], what: string): string {
  if (positionals.length !== 1) throw new UsageError(`expected exactly one ${what}`);
  return positionals[0]!;
}

async function runCommand(context: CliContext, command: string, positionals: string[], options: Options): Promise<void> {
  const { db, clock, io, config } = context;
  switch (command) {
    case 'survey load': {
      const definition = parseDefinitionText(readInputFile(onePositional(positionals, 'FILE.json')).toString('utf8'));
      const { survey, outcome } = loadSurveyDefinition(db, clock, definition);
      io.stdout(`Survey ${survey.code} ${outcome} (status ${survey.status}, questionnaire version ${survey.version}).\n`);
      return;
    }
    case 'survey open':
    case 'survey close': {
      const survey = changeSurveyStatus(db, clock, onePositional(positionals, 'survey CODE'), command === 'survey open' ? 'open' : 'closed');
      io.stdout(`Survey ${survey.code} is ${survey.status} (${survey.opensOn} to ${survey.closesOn}).\n`);
      return;
    }
    case 'agencies import': {
      const report = await importAgencies(db, clock, readInputFile(onePositional(positionals, 'FILE')));
      io.stdout(formatReport(report) + '\n');
      return;
    }
    case 'respondents import': {
      const surveyCode = requireOption(options, 'survey');
      const report = await importRespondents(db, clock, context.secretKey(), surveyCode, readInputFile(onePositional(positionals, 'FILE')));
      io.stdout(formatReport(report) + '\n');
      return;
    }
    case 'links export': {
      const surveyCode = requireOption(options, 'survey');
      if (positionals.length > 0) throw new UsageError('links export takes no file: it writes to stdout');
      const filter = {
        agencyCode: typeof options.agency === 'string' ? options.agency : undefined,
        groupCode: typeof options.group === 'string' ? options.group : undefined,
      };
      const rows = exportLinks(db, context.secretKey(), config.PUBLIC_URL, surveyCode, filter);
      io.stdout(csvLine(['agency', 'unit', 'group', 'name', 'email', 'phone', 'link']));
      for (const row of rows) io.stdout(csvLine([row.agency, row.unit, row.group, row.name, row.email, row.phone, row.link]));
      return;
    }
    case 'backup': {
      const target = onePositional(positionals, 'FILE');
      await db.backup(target);
      io.stdout(`Backup written to ${target}.\n`);
      return;
    }
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

const TWO_WORD_COMMANDS = new Set(['survey', 'agencies', 'respondents', 'links']);
const KNOWN_COMMANDS = new Set(['survey load', 'survey open', 'survey close', 'agencies import', 'respondents import', 'links export', 'backup']);

export async function runCli(argv: string[], io: CliIo, environment: NodeJS.ProcessEnv = process.env, clock: Clock = systemClock): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        survey: { type: 'string' },
        agency: { type: 'string' },
        group: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    io.stderr(`${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (parsed.values.help || parsed.positionals.length === 0) {
    (parsed.values.help ? io.stdout : io.stderr)(USAGE + '\n');
    return parsed.values.help ? 0 : 2;
  }
  const [first = '', ...rest] = parsed.positionals;
  const twoWords = TWO_WORD_COMMANDS.has(first);
  const command = twoWords ? `${first} ${rest[0] ?? ''}` : first;
  const positionals = twoWords ? rest.slice(1) : rest;
  if (!KNOWN_COMMANDS.has(command)) {
    io.stderr(`unknown command "${command.trim()}"\n\n${USAGE}\n`);
    return 2;
  }

  let config: Config;
  try {
    config = loadConfig(environment);
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr(error.message + '\n');
      return 1;
    }
    throw error;
  }
  let db: Db | undefined;
  try {
    db = openDatabase(config.DATABASE_PATH);
    let secretKey: Buffer | undefined;
    await runCommand(
      { config, db, clock, io, secretKey: () => (secretKey ??= loadSecretKey(config.SECRET_KEY, config.DATA_DIR)) },
      command,
      positionals,
      parsed.values,
    );
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`${error.message}\n\n${USAGE}\n`);
      return 2;
    }
    if (error instanceof AppError) {
      io.stderr(`Rejected: ${error.message}\n`);
      if (error instanceof ValidationError) for (const problem of error.problems) io.stderr(`  ${problem.field}: ${problem.message}\n`);
      return 1;
    }
    throw error;
  } finally {
    db?.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const code = await runCli(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  });
  process.exitCode = code;
}
