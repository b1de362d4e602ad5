/** Child process of P6: computes the results document and writes its CSV and XLSX exports for one
 * database (as the export route does), then prints its own peak resident memory, so each size is
 * measured in a fresh process. */
import { createWriteStream, readFileSync } from 'node:fs';
import { csvLine } from '../server/platform/csv.js';
import { systemClock } from '../server/platform/clock.js';
import { openDatabase } from '../server/platform/db.js';
import { writeXlsx } from '../server/platform/tabular.js';
import { computeResults, resultsCsvRows } from '../server/results/service.js';

const [databasePath, surveyCode] = process.argv.slice(2);
const db = openDatabase(databasePath!);
const document = computeResults(db, systemClock, surveyCode!);
const rows = resultsCsvRows(document, ['internal', 'external', 'expert']);
const csv = createWriteStream('/dev/null');
for (const row of rows) csv.write(csvLine(row));
await new Promise((resolve) => csv.end(resolve));
await writeXlsx(createWriteStream('/dev/null'), surveyCode!, rows);
const peakKb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0);
console.log(JSON.stringify({ peakMb: peakKb / 1024, agencies: document.agencies.length }));
db.close();
