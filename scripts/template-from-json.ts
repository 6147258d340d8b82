/**
 * Convert a template's JSON into an authoring workbook (and check that the workbook builds back
 * into the same template): `npx tsx scripts/template-from-json.ts in.json out.xlsx`.
 * Exit 1 with the problems (sheet, row, column) when the JSON is not a valid template or the round
 * trip differs.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { parseTemplate } from '../shared/index.js';
import { buildTemplateFromWorkbook, writeAuthoringWorkbook } from '../core/templates/workbook.js';

const [input, output] = process.argv.slice(2);
if (!input || !output) {
  console.error('Cách dùng: npx tsx scripts/template-from-json.ts <mẫu.json> <sổ-mẫu.xlsx>');
  process.exit(2);
}
let template;
try {
  template = parseTemplate(JSON.parse(readFileSync(input, 'utf8')));
} catch (e) {
  console.error(`${input} không phải là một mẫu hợp lệ:\n${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}
const bytes = await writeAuthoringWorkbook(template);
const built = await buildTemplateFromWorkbook(bytes);
if (built.problems.length) {
  for (const p of built.problems) console.error(`${p.sheet}${p.row ? ` dòng ${p.row}` : ''}${p.column ? ` cột ${p.column}` : ''}: ${p.message}`);
  process.exit(1);
}
if (!isDeepStrictEqual(JSON.parse(JSON.stringify(built.template)), JSON.parse(JSON.stringify(template)))) {
  console.error('Sổ mẫu ghi ra không dựng lại đúng mẫu ban đầu (lỗi của bộ chuyển đổi): hãy báo cho người phát triển.');
  process.exit(1);
}
writeFileSync(output, bytes);
console.log(`Đã ghi ${output} (${template.id} phiên bản ${template.version}, ${bytes.length.toLocaleString('vi-VN')} byte); dựng lại từ sổ cho đúng mẫu ban đầu.`);
