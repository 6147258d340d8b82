/** The authoring workbook (docs/authoring.md): the expression language, the compiler and the exporter. */
export type { Cell, SheetData } from './types.js';
export { parseExpr, parseCondition, printExpr, printCondition, exprRefs } from './expr.js';
export type { Condition, ParseResult } from './expr.js';
export { compileWorkbook, inVietnamese, MAX_SHEET_ROWS, MAX_PROBLEMS, MAX_KEY_LENGTH, MAX_ID_LENGTH, MAX_VERSION } from './compile.js';
export { MAX_EXPR_LENGTH, MAX_EXPR_DEPTH, MAX_EXPR_TREE_DEPTH } from './expr.js';
export { templateToSheets } from './export.js';
export { SHEETS, FORM_COLUMNS, CHOICE_COLUMNS, RULE_COLUMNS, CONSOLIDATION_COLUMNS, SETTINGS, SETTINGS_COLUMNS, STRUCTURE, VALUE_TYPES, AGGREGATES, CHECKS, columnLetter } from './format.js';
