import type { Request, RequestHandler, Response } from 'express';
import { z } from 'zod';
import { ValidationError } from '../platform/errors.js';
import { readJsonBody } from '../platform/jsonBody.js';
import { setHeaders } from '../platform/securityHeaders.js';
import { translator } from '../platform/i18n.js';
import { localize } from '../surveys/localize.js';
import { SUPPORTED_LANGUAGES, type Questionnaire } from '../surveys/schema.js';
import {
  AnswerProblemsError,
  openQuestionnaire,
  resolveInvitation,
  saveAnswers,
  submitQuestionnaire,
  type AnsweringContext,
  type OpenInvitation,
} from './service.js';
import type { TokenGuard } from './tokenGuard.js';
import { problemMessage } from './viewModel.js';

/** The respondent JSON API of interfaces.md §3: the same service as the pages. */

const answersBody = z.object({
  answers: z.record(z.string(), z.unknown()),
});
const submitBody = z.object({ answers: z.record(z.string(), z.unknown()).optional() }).optional();
const languageQuery = z.enum(SUPPORTED_LANGUAGES).optional();
// an answers patch of a whole long questionnaire with its texts stays far below this
const BODY_LIMIT_BYTES = 256 * 1024;

function localizedPages(questionnaire: Questionnaire, language: string) {
  return questionnaire.pages.map((page) => ({
    code: page.code,
    title: localize(page.title, language),
    items: page.items.map((item) => ({
      code: item.code,
      type: item.type,
      required: item.required ?? item.type === 'single',
      text: localize(item.text, language),
      ...(item.help ? { help: localize(item.help, language) } : {}),
      ...(item.options
        ? { options: item.options.map((option) => ({ value: option.value, label: localize(option.label, language) })) }
        : {}),
      ...(item.showIf ? { showIf: item.showIf } : {}),
      ...(item.min !== undefined ? { min: item.min } : {}),
      ...(item.max !== undefined ? { max: item.max } : {}),
      ...(item.type === 'text' ? { maxLength: item.maxLength ?? 2000 } : {}),
    })),
  }));
}

/** The localized pages as JSON text, built once per parsed questionnaire and language (parsed
 * definitions are cached per stored version, so this follows any change of the survey): the
 * largest part of every GET, and the same for every respondent of a group. */
const pagesJsonCache = new WeakMap<Questionnaire, Map<string, string>>();
function localizedPagesJson(questionnaire: Questionnaire, language: string): string {
  let byLanguage = pagesJsonCache.get(questionnaire);
  if (!byLanguage) pagesJsonCache.set(questionnaire, (byLanguage = new Map()));
  let json = byLanguage.get(language);
  if (json === undefined) byLanguage.set(language, (json = JSON.stringify(localizedPages(questionnaire, language))));
  return json;
}

/** Writes a JSON text with the given headers in one step: no ETag (nothing here is cached), none of
 * res.json's steps, and the security headers with it, since the API runs before the app's. */
function sendJson(response: Response, fixedHeaders: string[], status: number, json: string): void {
  response.writeHead(status, [...fixedHeaders, 'Content-Type', 'application/json; charset=utf-8', 'Content-Length', String(Buffer.byteLength(json))]);
  response.end(json);
}

/** 422 bodies: `{errors: [{item, message}]}` with messages in the respondent's language. */
function sendAnswerProblems(response: Response, fixedHeaders: string[], error: AnswerProblemsError, language: string): void {
  const t = translator(language);
  sendJson(response, fixedHeaders, 422, JSON.stringify({ errors: error.problems.map((problem) => ({ item: problem.item, code: problem.code, message: problemMessage(problem, t) })) }));
}

/** The API runs first in the app, before its security headers and body parsers (the
 * hot path of a survey: every phone autosaves through it): `headers` are the app's security
 * headers, `guard` the rate limits the respondent pages share. */
export function respondentApi(context: AnsweringContext, options: { headers: [string, string][]; guard: TokenGuard }): RequestHandler {
  // answers are never stored by a browser or a proxy
  const headerList: [string, string][] = [...options.headers, ['Cache-Control', 'no-store']];
  // writeHead takes them as one flat list of names and values
  const fixedHeaders = headerList.flat();
  const languageOf = (request: Request, token: string): string => {
    const wanted = typeof request.query.lang === 'string' ? request.query.lang : undefined;
    const found = resolveInvitation(context, token, wanted);
    return found.state === 'unknown' ? 'id' : found.language;
  };

  const sendQuestionnaire = (request: Request, response: Response, token: string) => {
    const wanted = languageQuery.safeParse(request.query.lang);
    const open: OpenInvitation = openQuestionnaire(context, token, wanted.success ? wanted.data : undefined);
    const head = JSON.stringify({
      survey: { code: open.survey.code, title: localize(open.survey.definition.title, open.language), closes: open.survey.closesOn },
      group: { code: open.invitation.groupCode, title: localize(open.survey.definition.groups[open.invitation.groupCode]?.title, open.language) },
      agency: { name: open.invitation.agencyName },
      languages: open.survey.definition.languages,
      language: open.language,
      status: open.invitation.status === 'in_progress' ? 'in_progress' : 'new',
      intro: localize(open.questionnaire.intro, open.language),
    });
    // the same document as before, with the cached pages spliced in before the answers
    sendJson(response, fixedHeaders, 200, `${head.slice(0, -1)},"pages":${localizedPagesJson(open.questionnaire, open.language)},"answers":${JSON.stringify(open.answers)}}`);
  };

  const save = (request: Request, response: Response, token: string, requestBody?: unknown) => {
    const body = answersBody.safeParse(requestBody);
    if (!body.success) throw new ValidationError('The body must be {"answers": {ITEM_CODE: value}}', [{ field: 'answers', message: 'must be an object of item codes to values' }]);
    try {
      const { saved } = saveAnswers(context, token, body.data.answers);
      sendJson(response, fixedHeaders, 200, `{"saved":${saved}}`);
    } catch (error) {
      if (error instanceof AnswerProblemsError) return sendAnswerProblems(response, fixedHeaders, error, languageOf(request, token));
      throw error;
    }
  };

  const submit = (request: Request, response: Response, token: string, requestBody?: unknown) => {
    const body = submitBody.safeParse(requestBody);
    if (!body.success) throw new ValidationError('The body must be empty or {"answers": {ITEM_CODE: value}}', [{ field: 'answers', message: 'must be an object of item codes to values' }]);
    try {
      const { receiptCode } = submitQuestionnaire(context, token, body.data?.answers);
      sendJson(response, fixedHeaders, 201, JSON.stringify({ receipt: receiptCode }));
    } catch (error) {
      if (error instanceof AnswerProblemsError) return sendAnswerProblems(response, fixedHeaders, error, languageOf(request, token));
      throw error;
    }
  };

  const handlers = { open: sendQuestionnaire, save, submit };

  // One middleware rather than a router with three routes, a path parameter and body-parser:
  // that walk cost about a fifth of the server's CPU per request under P1 (BENCHMARKS.md).
  return (request, response, next) => {
    if (!request.url.startsWith(API_PREFIX)) return next();
    const endpoint = apiEndpoint(request.method, request.url);
    if (!endpoint) return next();
    // errors go on to the app's one error handler, with the headers this API's answers carry
    const fail = (error: unknown) => {
      if (!response.headersSent) setHeaders(response, headerList);
      next(error);
    };
    const refused = options.guard.check(request, response, endpoint.token);
    if (refused) return fail(refused);
    const answer = (body?: unknown) => {
      try {
        handlers[endpoint.action](request, response, endpoint.token, body);
      } catch (error) {
        fail(error);
      }
    };
    if (endpoint.action === 'open') return answer();
    readJsonBody(request, BODY_LIMIT_BYTES, (bodyError, body) => (bodyError ? fail(bodyError) : answer(body)));
  };
}

const API_PREFIX = '/api/v1/respond/';

/** The three endpoints, read from the path without a router: GET /:token, PUT /:token/answers,
 * POST /:token/submit (a trailing slash allowed, as Express's routes allow it). */
export function apiEndpoint(method: string, url: string): { action: 'open' | 'save' | 'submit'; token: string } | undefined {
  const queryAt = url.indexOf('?');
  let path = url.slice(API_PREFIX.length, queryAt === -1 ? undefined : queryAt);
  if (path.endsWith('/')) path = path.slice(0, -1);
  const slash = path.indexOf('/');
  const rawToken = slash === -1 ? path : path.slice(0, slash);
  const rest = slash === -1 ? '' : path.slice(slash);
  if (rawToken === '') return undefined;
  let token: string;
  try {
    token = decodeURIComponent(rawToken);
  } catch {
    return undefined;
  }
  if (rest === '' && (method === 'GET' || method === 'HEAD')) return { action: 'open', token };
  if (rest === '/answers' && method === 'PUT') return { action: 'save', token };
  if (rest === '/submit' && method === 'POST') return { action: 'submit', token };
  return undefined;
}
