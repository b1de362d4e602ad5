import type { Writable } from 'node:stream';
import type ExcelJS from 'exceljs';
import Papa from 'papaparse';
import { InputError } from './errors.js';

/** Reading the spreadsheets administrators prepare (interfaces.md §1): CSV (UTF-8, with or
 * without BOM, `,` or `;`) or XLSX (first sheet). Headers are matched case-insensitively and
 * trimmed, cells trimmed; `line` is the row number a spreadsheet shows (header = 1). */

export interface TableRow {
  line: number;
  cells: Record<string, string>;
}

export interface Table {
  headers: string[];
  rows: TableRow[];
}

const ZIP_MAGIC = Buffer.from([0x50, 0x4b, 0x03, 0x04]);

export async function readTable(content: Buffer): Promise<Table> {
  if (content.length === 0) throw new InputError('The file is empty.');
  if (content.subarray(0, 4).equals(ZIP_MAGIC)) return readXlsx(content);
  return readCsv(content);
}

function normalizeHeader(header: string): string {
  return header.replace(/^\uFEFF/, '').trim().toLowerCase();
}

function toTable(headerCells: string[], records: { line: number; cells: string[] }[]): Table {
  const headers = headerCells.map(normalizeHeader);
  const rows: TableRow[] = [];
  for (const record of records) {
    const trimmed = record.cells.map((cell) => cell.trim());
    if (trimmed.every((cell) => cell === '')) continue; // blank spreadsheet rows are not data
    const cells: Record<string, string> = {};
    headers.forEach((header, index) => {
      // Unknown and unnamed columns are ignored; the first of two equally named columns wins.
      if (header !== '' && !(header in cells)) cells[header] = trimmed[index] ?? '';
    });
    rows.push({ line: record.line, cells });
  }
  return { headers, rows };
}

/** `;` when the header line has more semicolons than commas (Indonesian-locale spreadsheets). */
export function detectSeparator(text: string): ',' | ';' {
  const headerLine = text.split(/\r?\n/, 1)[0] ?? '';
  const count = (separator: string) => headerLine.split(separator).length - 1;
  return count(';') > count(',') ? ';' : ',';
}

export function readCsv(content: Buffer): Table {
  if (content.includes(0)) {
    throw new InputError('The file is not a readable CSV or XLSX file (it holds binary data).');
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(content);
  } catch {
    throw new InputError('The file is not UTF-8 text. Save it as "CSV UTF-8" or as XLSX and try again.');
  }
  text = text.replace(/^\uFEFF/, '');
  // papaparse: about five times faster than csv-parse on a 100,000-row file (BENCHMARKS.md, P3)
  const parsed = Papa.parse<string[]>(text, { delimiter: detectSeparator(text), skipEmptyLines: false });
  const broken = parsed.errors.find((error) => error.type === 'Quotes');
  if (broken) {
    const line = broken.row === undefined ? '' : ` (row ${broken.row + 1})`;
    throw new InputError(`The file is not a readable CSV file: a quoted cell is not closed or is followed by other text${line}.`);
  }
  const [header, ...data] = parsed.data;
  if (!header || header.every((cell) => cell.trim() === '')) throw new InputError('The file has no header line.');
  return toTable(
    header,
    data.map((cells, index) => ({ line: index + 2, cells })),
  );
}

function cellText(value: ExcelJS.CellValue): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  if (typeof value === 'object') {
    if ('richText' in value) return value.richText.map((part) => part.text).join('');
    if ('text' in value && typeof value.text === 'string') return value.text; // hyperlinks (emails)
    if ('result' in value) return cellText(value.result as ExcelJS.CellValue); // formulas
    if ('error' in value) return '';
    return '';
  }
  return String(value);
}

async function readXlsx(content: Buffer): Promise<Table> {
  // loaded on first use: exceljs costs ~30 MB of memory that a server answering surveys never needs
  const { default: ExcelJSModule } = await import('exceljs');
  const workbook = new ExcelJSModule.Workbook();
  try {
    // exceljs' typings want its own Buffer type; a Node Buffer is what it reads.
    await workbook.xlsx.load(content as unknown as ExcelJS.Buffer);
  } catch (error) {
    throw new InputError(`The file is not a readable XLSX file: ${(error as Error).message}`);
  }
  const sheet = workbook.worksheets[0];
  if (!sheet || sheet.rowCount === 0) throw new InputError('The first sheet of the workbook is empty.');
  const rowCells = (row: ExcelJS.Row): string[] => {
    const cells: string[] = [];
    for (let column = 1; column <= row.cellCount; column++) cells.push(cellText(row.getCell(column).value));
    return cells;
  };
  const header = rowCells(sheet.getRow(1));
  if (header.every((cell) => cell.trim() === '')) throw new InputError('The file has no header line.');
  const records: { line: number; cells: string[] }[] = [];
  sheet.eachRow({ includeEmpty: false }, (row) => {
    if (row.number > 1) records.push({ line: row.number, cells: rowCells(row) });
  });
  return toTable(header, records);
}

/** Rows as an XLSX workbook of one sheet, streamed to `output` row by row (exceljs' streaming
 * writer: a row is written out as soon as it is committed). Strings stay text cells, so a phone
 * number such as +6281234567890 survives a spreadsheet, where a CSV's would become 6.28E+12. */
export async function writeXlsx(output: Writable, sheetName: string, rows: Iterable<(string | number | null)[]>): Promise<void> {
  const { default: ExcelJSModule } = await import('exceljs'); // loaded on first use (~30 MB)
  const workbook = new ExcelJSModule.stream.xlsx.WorkbookWriter({ stream: output });
  const sheet = workbook.addWorksheet(sheetName.slice(0, 31));
  for (const row of rows) sheet.addRow(row).commit();
  sheet.commit();
  await workbook.commit();
}

/** Refuses a file whole when it lacks a required column. */
export function requireColumns(table: Table, required: string[]): void {
  const missing = required.filter((column) => !table.headers.includes(column));
  if (missing.length > 0) {
    throw new InputError(
      `The file lacks the required column(s): ${missing.join(', ')}. Found: ${table.headers.filter(Boolean).join(', ') || '(none)'}.`,
    );
  }
}

/** The per-row report every import prints. */
export interface RowProblem {
  line: number;
  column: string;
  message: string;
}

export interface ImportReport {
  rows: number;
  stored: number;
  updated: number;
  duplicates: number;
  rejected: number;
  errors: RowProblem[];
  duplicateLines: RowProblem[];
  /** rows stored as given but probably mistyped (an email domain such as gmial.com) */
  notices: RowProblem[];
  /** about the file as a whole: stored, but worth knowing before it is imported again */
  warnings: string[];
}

/** The notice of a stored email that was probably mistyped (respondents/emailTypos.ts). */
export function emailTypoNotice(line: number, email: string, meant: string): RowProblem {
  return { line, column: 'email', message: `${email}: did you mean ${meant}? Stored as written` };
}

/** How many problems of an import report a page lists; the rest are counted per column. */
export const PROBLEMS_SHOWN = 200;

/** At most `limit` problems to show on a page, with how many more there are per column: a national
 * file with one systematic mistake has a problem on every one of its 100,000 lines, and listing them
 * all made a page of megabytes that says no more than the counts do. */
export function problemsToShow(problems: RowProblem[], limit: number): { shown: RowProblem[]; more: number; byColumn: { column: string; count: number }[] } {
  const counts = new Map<string, number>();
  for (const problem of problems) counts.set(problem.column, (counts.get(problem.column) ?? 0) + 1);
  return {
    shown: problems.slice(0, limit),
    more: Math.max(0, problems.length - limit),
    byColumn: [...counts].map(([column, count]) => ({ column, count })).sort((a, b) => b.count - a.count || a.column.localeCompare(b.column)),
  };
}

export function emptyReport(): ImportReport {
  return { rows: 0, stored: 0, updated: 0, duplicates: 0, rejected: 0, errors: [], duplicateLines: [], notices: [], warnings: [] };
}

export function formatProblem(problem: RowProblem): string {
  return `line ${problem.line}, column ${problem.column}: ${problem.message}`;
}

export function formatReport(report: ImportReport): string {
  const lines = [
    `${report.rows} row(s) read: ${report.stored} stored, ${report.updated} updated, ${report.duplicates} duplicate(s), ${report.rejected} rejected.`,
  ];
  for (const problem of report.errors) lines.push('  ' + formatProblem(problem));
  for (const problem of report.duplicateLines) lines.push('  duplicate: ' + formatProblem(problem));
  for (const notice of report.notices) lines.push('  check: ' + formatProblem(notice));
  for (const warning of report.warnings) lines.push('  warning: ' + warning);
  return lines.join('\n');
}
