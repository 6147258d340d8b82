import ExcelJS from 'exceljs';
import JSZip from 'jszip';

/** Every formula cell of a workbook: sheet!address → cached result. */
export function formulaResults(wb: ExcelJS.Workbook): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const ws of wb.worksheets)
    ws.eachRow((row) =>
      row.eachCell((c) => {
        const v = c.value as ExcelJS.CellFormulaValue | null;
        if (v && typeof v === 'object' && ('formula' in v || 'sharedFormula' in v))
          out.set(`${ws.name}!${c.address}`, v.result);
      }),
    );
  return out;
}

/** The workbook with every cached formula value removed, so that only a recomputation can fill them. */
export async function withoutCachedValues(data: Buffer): Promise<Buffer> {
  const zip = await JSZip.loadAsync(data);
  for (const name of Object.keys(zip.files).filter((n) => /^xl\/worksheets\/sheet\d+\.xml$/.test(n))) {
    const xml = await zip.file(name)!.async('string');
    zip.file(
      name,
      xml.replace(/(<f>[^<]*<\/f>)<v>[^<]*<\/v>/g, '$1').replace(/<c ([^>]*?) t="str"([^>]*)>(<f>)/g, '<c $1$2>$3'),
    );
  }
  return zip.generateAsync({ type: 'nodebuffer' });
}
