import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../server/platform/errors.js';
import { readTable, requireColumns } from '../../server/platform/tabular.js';
import { csvCell, neutralizeFormula } from '../../server/platform/csv.js';

async function xlsx(rows: unknown[][]): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('Data');
  for (const row of rows) sheet.addRow(row);
  workbook.addWorksheet('Ignored').addRow(['not', 'read']);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

describe('reading CSV and XLSX', () => {
  it('detects ";" from the header line, strips a BOM, trims headers (case-insensitive) and cells', async () => {
    const table = await readTable(Buffer.from('\uFEFF Code ;NAME; Kind\n A1 ; Satu ;city\n'));
    expect(table.headers).toEqual(['code', 'name', 'kind']);
    expect(table.rows).toEqual([{ line: 2, cells: { code: 'A1', name: 'Satu', kind: 'city' } }]);
  });

  it('reads "," files with quoted cells holding separators, quotes and newlines; line numbers count rows', async () => {
    const csv = 'code,name,units\r\nA1,"Dinas ""Satu"", Kota","Unit A|Unit B"\r\nA2,"Baris\ndua",\r\nA3,Tiga,\r\n';
    const table = await readTable(Buffer.from(csv));
    expect(table.rows.map((row) => [row.line, row.cells.code, row.cells.name])).toEqual([
      [2, 'A1', 'Dinas "Satu", Kota'],
      [3, 'A2', 'Baris\ndua'],
      [4, 'A3', 'Tiga'],
    ]);
  });

  it('skips blank rows but keeps the numbering a spreadsheet shows', async () => {
    const table = await readTable(Buffer.from('code;name\nA1;Satu\n;\n\nA4;Empat\n'));
    expect(table.rows.map((row) => row.line)).toEqual([2, 5]);
  });

  it('reads the first sheet of an XLSX workbook, with numbers, hyperlinks and rich text as text', async () => {
    const content = await xlsx([
      ['Code', 'Name', 'Phone', 'Email'],
      ['A1', { richText: [{ text: 'Kota ' }, { text: 'Satu' }] }, 6281234567890, { text: 'a@example.id', hyperlink: 'mailto:a@example.id' }],
      [],
      ['A3', 'Tiga', '0812-1', ''],
    ]);
    const table = await readTable(content);
    expect(table.headers).toEqual(['code', 'name', 'phone', 'email']);
    expect(table.rows).toEqual([
      { line: 2, cells: { code: 'A1', name: 'Kota Satu', phone: '6281234567890', email: 'a@example.id' } },
      { line: 4, cells: { code: 'A3', name: 'Tiga', phone: '0812-1', email: '' } },
    ]);
  });

  it('refuses binary data, other encodings, broken quoting and broken workbooks with one clear message', async () => {
    await expect(readTable(Buffer.from([0x00, 0x01, 0x02]))).rejects.toThrow(/not a readable CSV or XLSX/);
    await expect(readTable(Buffer.from([0x63, 0x6f, 0x64, 0x65, 0x0a, 0xe9, 0x0a]))).rejects.toThrow(/not UTF-8/);
    await expect(readTable(Buffer.from('code,name\nA1,"unterminated\n'))).rejects.toThrow(InputError);
    await expect(readTable(Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x00]))).rejects.toThrow(/not a readable XLSX/);
    await expect(readTable(Buffer.alloc(0))).rejects.toThrow(/empty/);
  });

  it('refuses a file without a required column, naming it', async () => {
    const table = await readTable(Buffer.from('code,title\nA1,x\n'));
    expect(() => requireColumns(table, ['code', 'name', 'kind'])).toThrow('The file lacks the required column(s): name, kind. Found: code, title.');
  });
});

describe('writing CSV', () => {
  it('neutralises formulas but leaves numbers and phone numbers alone', () => {
    expect(neutralizeFormula('=HYPERLINK("http://evil")')).toBe(`'=HYPERLINK("http://evil")`);
    expect(neutralizeFormula('@SUM(A1)')).toBe(`'@SUM(A1)`);
    expect(neutralizeFormula("-2+3+cmd|' /C calc'!A0")).toBe(`'-2+3+cmd|' /C calc'!A0`);
    expect(neutralizeFormula('+6281234567890')).toBe('+6281234567890');
    expect(neutralizeFormula('-12.5')).toBe('-12.5');
    expect(csvCell('a,b "c"')).toBe('"a,b ""c"""');
  });
});
