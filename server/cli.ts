import { renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { AGENCY_FILE_COLUMNS, agencyFileRows, importAgencies } from './agencies/service.js';
import { agencyTimeZones } from './agencies/store.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createDispatcher, whatsappConfigured } from './invitations/delivery.js';
import { applyReminderSchedules, invitationStatus, queueInvitations, queueReminders, scheduledReminders } from './invitations/sending.js';
import { describeSendingHeld, drainMinutes, sendingFinish, sendingHeld, sendingZones, zoneShares } from './invitations/sendingHours.js';
import { exportLinks } from './invitations/service.js';
import { reinstateRespondent, respondentByContact, withdrawRespondent } from './invitations/withdrawal.js';
import { formatMinutes, translator } from './platform/i18n.js';
import { createLogger } from './platform/logger.js';
import { systemClock, type Clock } from './platform/clock.js';
import { csvLine } from './platform/csv.js';
import { openDatabase, type Db } from './platform/db.js';
import { AppError, ConflictError, ValidationError } from './platform/errors.js';
import { readInputFile } from './platform/readFile.js';
import { loadSecretKey } from './platform/secret.js';
import { formatReport } from './platform/tabular.js';
import { eraseContacts } from './respondents/erasure.js';
import { importRespondents } from './respondents/service.js';
import { findContactErasure } from './respondents/store.js';
import { importResponses } from './answering/paperEntry.js';
import { addCorrection, computeResults, listFlaggedResponses, resultsCsvRows, reviewResponse } from './results/service.js';
import { isExcluded } from './scoring/index.js';
import { addStaff } from './staff/service.js';
import { appendAudit } from './staff/store.js';
import { changeSurveyStatus, loadSurveyDefinition, parseDefinitionText, requireSurvey } from './surveys/service.js';

/** `npm run cli -- COMMAND [options]` (interfaces.md §2). Exit 0 = done, 1 = input rejected
 * (reasons printed), 2 = wrong usage. */

export const USAGE = `Usage: npm run cli -- COMMAND [options]

  survey load FILE.json                       create or update a survey from a definition
  survey open CODE | survey close CODE        change a survey's status
  agencies import FILE                        import agencies (CSV or XLSX)
  agencies export                             the registry to stdout as an agencies file (with time_zone), to edit and import back
  respondents import --survey CODE FILE       import a survey's respondents (CSV or XLSX)
  respondents withdraw --survey CODE --agency A (--email E | --phone P) --reason TEXT
  respondents reinstate --survey CODE --agency A (--email E | --phone P)
                                              take a respondent out of the sample, or put them back
  respondents erase --survey CODE --confirm CODE
                                              erase a closed survey's names, emails and phones (cannot be undone)
  links export --survey CODE [--agency A] [--group G]
                                              CSV of personal links to stdout
  invitations send --survey CODE [--agency A] [--group G] [--channel email|whatsapp]
                                              queue invitations for respondents not yet invited
  invitations status --survey CODE            delivery and answering counts per agency and group
  reminders send --survey CODE [--min-days N] [--max N] [--agency A] [--group G]
                                              queue reminders for those who have not answered
  dispatch [--once]                           run the delivery worker (--once: deliver what is due, then exit)
  responses import --survey CODE FILE         import paper or offline responses (CSV or XLSX)
  responses flagged --survey CODE [--agency A]
                                              responses with a quality flag or a manual exclusion
  responses exclude --survey CODE --response ID --reason TEXT
  responses clear-flags --survey CODE --response ID --reason TEXT
                                              exclude a response by hand, or count a flagged one again
  corrections add --survey CODE --agency A --points P --reason TEXT
                                              record a correction of an agency's index
  results --survey CODE [--format json|csv]   the results to stdout
  staff add --email E --role administrator|inspector|liaison [--agency CODE] --password-stdin
                                              create a staff account (password read from standard input)
  backup FILE                                 consistent copy of the live database

Environment: DATABASE_PATH (default data/integritas.db), see README for the rest.`;

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** standard input, for secrets that must not appear in the process list */
  readStdin?: () => Promise<string>;
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

/** Runs one command; what it returns is added to the command's audit entry. */
async function runCommand(context: CliContext, command: string, positionals: string[], options: Options): Promise<Record<string, unknown> | void> {
  const { db, clock, io, config } = context;
  // messages queued or left in the outbox while the sending hours are closed: say when they leave
  const noteSendingHeld = () => {
    const held = config.SENDING_HOURS && sendingHeld(clock.now(), sendingZones(agencyTimeZones(db), config.TIMEZONE), config.TIMEZONE, config.SENDING_HOURS);
    if (held) io.stdout(describeSendingHeld(held) + '\n');
  };
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
    case 'agencies export': {
      if (positionals.length > 0) throw new UsageError('agencies export takes no file: it writes to stdout');
      io.stdout(csvLine([...AGENCY_FILE_COLUMNS]));
      for (const row of agencyFileRows(db)) io.stdout(csvLine(row));
      return;
    }
    case 'respondents import': {
      const surveyCode = requireOption(options, 'survey');
      const report = await importRespondents(db, clock, context.secretKey(), surveyCode, readInputFile(onePositional(positionals, 'FILE')));
      io.stdout(formatReport(report) + '\n');
      return;
    }
    case 'respondents withdraw':
    case 'respondents reinstate': {
      const contact = { email: typeof options.email === 'string' ? options.email : undefined, phone: typeof options.phone === 'string' ? options.phone : undefined };
      const target = respondentByContact(db, requireOption(options, 'survey'), requireOption(options, 'agency'), contact);
      if (command === 'respondents withdraw') {
        const { cancelledMessages } = withdrawRespondent(db, clock, target, requireOption(options, 'reason'));
        io.stdout(`Respondent ${target.respondentId} of ${target.agencyCode} withdrawn from the sample; ${cancelledMessages} waiting message(s) cancelled.\n`);
      } else {
        const { restoredMessages } = reinstateRespondent(db, clock, target);
        io.stdout(`Respondent ${target.respondentId} of ${target.agencyCode} is back in the sample; ${restoredMessages} message(s) queued again.\n`);
      }
      // the audit names the respondent by id, not by the contact typed (see runCli)
      return { respondent: target.respondentId };
    }
    case 'respondents erase': {
      const surveyCode = requireOption(options, 'survey');
      if (requireOption(options, 'confirm') !== surveyCode) throw new UsageError('--confirm must repeat the survey code: erasing cannot be undone');
      const { erased } = await eraseContacts(db, clock, surveyCode, 'cli', config.TIMEZONE);
      io.stdout(`The personal data of ${erased} respondent(s) of ${surveyCode} erased: names, emails, phones, unsent drafts and providers' error texts. The survey stays closed.\n`);
      return { respondents: erased };
    }
    case 'links export': {
      const surveyCode = requireOption(options, 'survey');
      if (positionals.length > 0) throw new UsageError('links export takes no file: it writes to stdout');
      // an erased round has no one left to send a link to, and stays closed
      if (findContactErasure(db, requireSurvey(db, surveyCode).id)) throw new ConflictError(`The personal data of survey ${surveyCode} has been erased: its links are not exported.`, 'erased');
      const rows = exportLinks(db, context.secretKey(), config.PUBLIC_URL, surveyCode, filterOptions(options));
      io.stdout(csvLine(['agency', 'unit', 'group', 'name', 'email', 'phone', 'link']));
      for (const row of rows) io.stdout(csvLine([row.agency, row.unit, row.group, row.name, row.email, row.phone, row.link]));
      return;
    }
    case 'invitations send': {
      const channel = options.channel;
      if (channel !== undefined && channel !== 'email' && channel !== 'whatsapp') throw new UsageError('--channel is email or whatsapp');
      const result = await queueInvitations(db, clock, { surveyCode: requireOption(options, 'survey'), ...filterOptions(options), channel }, whatsappConfigured(config));
      io.stdout(
        `Queued ${result.queued.email + result.queued.whatsapp} invitation(s): ${result.queued.email} by email, ${result.queued.whatsapp} by WhatsApp. ` +
          `Already invited: ${result.alreadyInvited}. Skipped: ${result.skipped.completed} already answered, ${result.skipped.optedOut} opted out, ` +
          `${result.skipped.noContactForChannel} without a contact for the channel.\n`,
      );
      if (result.queued.email + result.queued.whatsapp > 0) {
        const minutes = drainMinutes(result.queued, { email: config.EMAIL_RATE_PER_SEC, whatsapp: config.WHATSAPP_RATE_PER_SEC });
        io.stdout(`At the configured rates (${config.EMAIL_RATE_PER_SEC} email and ${config.WHATSAPP_RATE_PER_SEC} WhatsApp per second) they leave in ${formatMinutes(minutes, translator('en'))}, after the messages already queued.\n`);
        const finish = sendingFinish(clock.now(), minutes, config.TIMEZONE, config.SENDING_HOURS, zoneShares(result.queuedByZone, config.TIMEZONE));
        if (finish) io.stdout(`Within the sending hours (${finish.hours}, each agency's local time) they are done around ${finish.day} ${finish.time} (${config.TIMEZONE}) at the earliest.\n`);
        noteSendingHeld();
      }
      return;
    }
    case 'invitations status': {
      const rows = invitationStatus(db, requireOption(options, 'survey'));
      const columns = ['agency', 'group', 'respondents', 'queued', 'sent', 'delivered', 'failed', 'bounced', 'optedOut', 'opened', 'started', 'completed'] as const;
      const table = [columns.map((column) => (column === 'optedOut' ? 'opted_out' : column)), ...rows.map((row) => columns.map((column) => String(row[column])))];
      const widths = columns.map((_, index) => Math.max(...table.map((cells) => cells[index]!.length)));
      for (const cells of table) io.stdout(cells.map((cell, index) => (index < 2 ? cell.padEnd(widths[index]!) : cell.padStart(widths[index]!))).join('  ') + '\n');
      return;
    }
    case 'reminders send': {
      const result = await queueReminders(db, clock, {
        surveyCode: requireOption(options, 'survey'),
        ...filterOptions(options),
        minDays: wholeNumberOption(options, 'min-days', 3),
        max: wholeNumberOption(options, 'max', 3),
      });
      io.stdout(`Queued ${result.queued} reminder(s).\n`);
      if (result.queued > 0) noteSendingHeld();
      return;
    }
    case 'dispatch': {
      if (positionals.length > 0) throw new UsageError('dispatch takes no arguments');
      const dispatcher = createDispatcher(config, { db, clock, logger: createLogger(config.LOG_LEVEL), secretKey: context.secretKey() });
      if (options.once) {
        await applyReminderSchedules(db, clock);
        const summary = await dispatcher.runOnce();
        await dispatcher.stop(); // closes the pooled SMTP connections, so the command ends now
        io.stdout(`Delivered what was due: ${summary.sent} sent, ${summary.retried} to retry, ${summary.failed} failed, ${summary.cancelled} cancelled.\n`);
        noteSendingHeld();
        return;
      }
      io.stdout('Dispatching; stop with Ctrl-C.\n');
      dispatcher.start(2_000, scheduledReminders(db, clock));
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await dispatcher.stop();
      return;
    }
    case 'responses import': {
      const report = await importResponses(db, clock, config.TIMEZONE, requireOption(options, 'survey'), readInputFile(onePositional(positionals, 'FILE')));
      io.stdout(formatReport(report) + '\n');
      return;
    }
    case 'responses flagged': {
      const rows = listFlaggedResponses(db, requireOption(options, 'survey'), filterOptions(options).agencyCode);
      io.stdout(csvLine(['response', 'agency', 'group', 'submitted_on', 'duration_seconds', 'source', 'flags', 'status', 'reason']));
      for (const row of rows) {
        const flags = [row.speeder ? 'speeder' : '', row.straightliner ? 'straightliner' : '', row.manual ? 'manual' : ''].filter(Boolean).join('|');
        const status = isExcluded({ speeder: row.speeder === 1, straightliner: row.straightliner === 1, manual: row.manual === 1, cleared: row.cleared === 1 }) ? 'excluded' : 'counted';
        io.stdout(csvLine([row.id, row.agency, row.group, row.submittedOn, row.durationSeconds, row.source, flags, status, row.reason]));
      }
      return;
    }
    case 'responses exclude':
    case 'responses clear-flags': {
      const action = command === 'responses exclude' ? 'exclude' : 'clear-flags';
      reviewResponse(db, { surveyCode: requireOption(options, 'survey'), responseId: requireOption(options, 'response'), action, reason: requireOption(options, 'reason') });
      io.stdout(action === 'exclude' ? 'Response excluded from scoring.\n' : 'Automatic flags cleared: the response counts again.\n');
      return;
    }
    case 'corrections add': {
      const points = Number(requireOption(options, 'points').replace(',', '.'));
      addCorrection(db, clock, { surveyCode: requireOption(options, 'survey'), agencyCode: requireOption(options, 'agency'), points, reason: requireOption(options, 'reason') });
      io.stdout(`Correction of ${points} point(s) recorded for ${options.agency}.\n`);
      return;
    }
    case 'results': {
      const format = options.format ?? 'json';
      if (format !== 'json' && format !== 'csv') throw new UsageError('--format is json or csv');
      const surveyCode = requireOption(options, 'survey');
      const document = computeResults(db, clock, surveyCode);
      if (format === 'json') io.stdout(JSON.stringify(document, null, 2) + '\n');
      else for (const row of resultsCsvRows(document, Object.keys(requireSurvey(db, surveyCode).definition.groups))) io.stdout(csvLine(row));
      return;
    }
    case 'staff add': {
      if (!options['password-stdin'] || !io.readStdin) throw new UsageError('staff add reads the password from standard input: pass --password-stdin');
      const password = (await io.readStdin()).replace(/\r?\n$/, '');
      const agencyCode = typeof options.agency === 'string' ? options.agency : undefined;
      await addStaff(db, clock, { email: requireOption(options, 'email'), role: requireOption(options, 'role'), agencyCode, password });
      io.stdout(`Account ${String(options.email).toLowerCase()} (${options.role}${agencyCode ? `, ${agencyCode}` : ''}) created.\n`);
      return;
    }
    case 'backup': {
      const target = path.resolve(onePositional(positionals, 'FILE'));
      // VACUUM INTO copies one consistent snapshot while the server keeps writing (the online
      // backup API restarts whenever another process writes, and may never finish under load);
      // written beside the target and renamed, so a crash never leaves a half backup under its name.
      const partial = `${target}.partial-${process.pid}`;
      rmSync(partial, { force: true });
      try {
        db.prepare('VACUUM INTO ?').run(partial);
        renameSync(partial, target);
      } finally {
        rmSync(partial, { force: true });
      }
      io.stdout(`Backup written to ${target}.\n`);
      return;
    }
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

function filterOptions(options: Options): { agencyCode?: string; groupCode?: string } {
  return {
    agencyCode: typeof options.agency === 'string' ? options.agency : undefined,
    groupCode: typeof options.group === 'string' ? options.group : undefined,
  };
}

function wholeNumberOption(options: Options, name: string, fallback: number): number {
  const value = options[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !/^\d+$/.test(value)) throw new UsageError(`--${name} takes a whole number`);
  return Number(value);
}

const TWO_WORD_COMMANDS = new Set(['survey', 'agencies', 'respondents', 'links', 'invitations', 'reminders', 'responses', 'corrections', 'staff']);
const KNOWN_COMMANDS = new Set(['survey load', 'survey open', 'survey close', 'agencies import', 'agencies export', 'respondents import', 'respondents withdraw', 'respondents reinstate', 'respondents erase', 'links export', 'backup', 'invitations send', 'invitations status', 'reminders send', 'dispatch', 'responses import', 'responses flagged', 'responses exclude', 'responses clear-flags', 'corrections add', 'results', 'staff add']);

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
        channel: { type: 'string' },
        'min-days': { type: 'string' },
        max: { type: 'string' },
        once: { type: 'boolean' },
        response: { type: 'string' },
        reason: { type: 'string' },
        confirm: { type: 'string' },
        points: { type: 'string' },
        format: { type: 'string' },
        email: { type: 'string' },
        phone: { type: 'string' },
        role: { type: 'string' },
        'password-stdin': { type: 'boolean' },
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
    const outcome = await runCommand(
      { config, db, clock, io, secretKey: () => (secretKey ??= loadSecretKey(config.SECRET_KEY, config.DATA_DIR)) },
      command,
      positionals,
      parsed.values,
    );
    // Every command that changes or exports something is audited (options only: no secrets pass as
    // options), a respondent by id rather than by the email or phone that named them.
    if (!['invitations status', 'responses flagged'].includes(command)) {
      const { help: _help, 'password-stdin': _stdin, ...options } = parsed.values;
      const { email: _email, phone: _phone, ...withoutContact } = options;
      const detail = command.startsWith('respondents ') ? withoutContact : options;
      appendAudit(db, { at: clock.now().toISOString(), actor: 'cli', action: command.replace(' ', '.'), detail: { ...detail, ...(positionals[0] ? { file: positionals[0] } : {}), ...outcome } });
    }
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
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
  });
  process.exitCode = code;
}
