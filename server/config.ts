import { isIP } from 'node:net';
import { z } from 'zod';
import { parseSendingHours, type SendingHours } from './invitations/sendingHours.js';
import { canonicalTimeZone } from './platform/clock.js';

const optionalText = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

const flag = z
  .enum(['0', '1', 'true', 'false', 'yes', 'no'])
  .transform((value) => value === '1' || value === 'true' || value === 'yes');

/** Express' `trust proxy`: a hop count, or addresses / CIDRs / loopback, linklocal, uniquelocal. */
const trustProxy = optionalText.pipe(
  z
    .string()
    .refine(
      (value) => /^\d+$/.test(value) || value.split(',').every((part) => ['loopback', 'linklocal', 'uniquelocal'].includes(part.trim()) || isIP(part.trim().split('/')[0]!) !== 0),
      'must be a number of proxies, or addresses/CIDRs, or loopback, linklocal, uniquelocal (comma-separated)',
    )
    .transform((value) => (/^\d+$/.test(value) ? Number(value) : value.split(',').map((part) => part.trim())))
    .optional(),
);

/** "07:00-20:00": the local hours in TIMEZONE when messages may leave (invitations/sendingHours.ts). */
const sendingHours = optionalText.pipe(
  z
    .string()
    .transform((text, context): SendingHours => {
      const parsed = parseSendingHours(text);
      if ('problem' in parsed) {
        context.issues.push({ code: 'custom', message: parsed.problem, input: text });
        return z.NEVER;
      }
      return parsed;
    })
    .optional(),
);

const environmentSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  DATABASE_PATH: z.string().min(1).default('data/integritas.db'),
  DATA_DIR: z.string().min(1).default('data'),
  PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  SECRET_KEY: optionalText.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
  SMTP_URL: optionalText.pipe(z.url({ protocol: /^smtps?$/ }).optional()),
  MAIL_FROM: z.string().min(3).default('Integritas <no-reply@localhost>'),
  TWILIO_ACCOUNT_SID: optionalText,
  TWILIO_AUTH_TOKEN: optionalText,
  TWILIO_WHATSAPP_FROM: optionalText,
  TWILIO_CONTENT_SID_INVITE: optionalText,
  TWILIO_CONTENT_SID_REMINDER: optionalText,
  DEMO: flag.default(true),
  DISPATCHER: flag.default(true),
  PRIVACY_MIN_CELL: z.coerce.number().int().min(1).max(1000).default(5),
  EMAIL_RATE_PER_SEC: z.coerce.number().positive().max(10_000).default(10),
  EMAIL_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(5),
  WHATSAPP_RATE_PER_SEC: z.coerce.number().positive().max(10_000).default(10),
  WHATSAPP_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(5),
  DISPATCH_LEASE_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
  TIMEZONE: z
    .string()
    .default('Asia/Jakarta')
    .refine((zone) => canonicalTimeZone(zone) !== undefined, 'is not a known IANA time zone'),
  TRUST_PROXY: trustProxy,
  SENDING_HOURS: sendingHours,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type Config = Omit<z.infer<typeof environmentSchema>, 'PUBLIC_URL'> & { PUBLIC_URL: string };

export class ConfigError extends Error {}

/** Parses the environment; a bad value throws a ConfigError naming the variable. */
export function loadConfig(environment: NodeJS.ProcessEnv = process.env): Config {
  const parsed = environmentSchema.safeParse(environment);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError('Invalid configuration:\n  ' + lines.join('\n  '));
  }
  const values = parsed.data;
  const publicUrl = (values.PUBLIC_URL ?? `http://localhost:${values.PORT}`).replace(/\/+$/, '');
  return { ...values, PUBLIC_URL: publicUrl };
}
