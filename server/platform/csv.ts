/** CSV output. Cells that a spreadsheet would run as a formula (=, +, -, @, tab, CR at the
 * start) are neutralised with a leading apostrophe; plain numbers and phone numbers such as
 * +628123… are left as they are, since a spreadsheet reads those as values. */
const FORMULA_START = /^[=+\-@\t\r]/;
const PLAIN_NUMBER = /^[+-]?[\d\s().]+$/;

export function neutralizeFormula(value: string): string {
  return FORMULA_START.test(value) && !PLAIN_NUMBER.test(value) ? `'${value}` : value;
}

export function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  const text = neutralizeFormula(String(value));
  return /[",\n\r;]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(values: (string | number | null | undefined)[]): string {
  return values.map(csvCell).join(',') + '\r\n';
}
