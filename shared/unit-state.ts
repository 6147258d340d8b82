/**
 * The one definition of a unit's state for a period at the city, used by completeness, the
 * consolidation on screen, its workbook and the command line (issue 7 item 9).
 *
 * - missing: no revision of the unit's return is stored at the city.
 * - received / accepted / returned: the review of the unit's CURRENT revision (its highest stored).
 *
 * "Submitted" means every state but missing: a returned report IS submitted ("đã nộp, bị trả lại"),
 * counted under submitted (and on time or late) and listed under returned.
 *
 * Figures: a returned revision's figures are NOT added to the consolidation. When the unit has an
 * earlier revision that was not returned, that revision's figures are used; otherwise the unit
 * counts as submitted but adds no figures, and the summary names it (RETURNED_FIGURES_NOTE).
 */

export type ReviewState = 'received' | 'accepted' | 'returned';
export type UnitState = ReviewState | 'missing';

/** The counts of a set of units, the same keys everywhere. */
export type StateCounts = {
  expected: number;
  submitted: number;
  on_time: number;
  late: number;
  missing: number;
  accepted: number;
  returned: number;
};

export const isSubmitted = (s: UnitState): boolean => s !== 'missing';

export const zeroCounts = (): StateCounts => ({
  expected: 0,
  submitted: 0,
  on_time: 0,
  late: 0,
  missing: 0,
  accepted: 0,
  returned: 0,
});

/** Add one expected unit in the given state to the counts. */
export function countUnit(c: StateCounts, state: UnitState, late: boolean | null): void {
  c.expected++;
  if (!isSubmitted(state)) {
    c.missing++;
    return;
  }
  c.submitted++;
  if (late) c.late++;
  else c.on_time++;
  if (state === 'accepted') c.accepted++;
  if (state === 'returned') c.returned++;
}

export function countStates(rows: Iterable<{ state: UnitState; late: boolean | null }>): StateCounts {
  const c = zeroCounts();
  for (const r of rows) countUnit(c, r.state, r.late);
  return c;
}

/**
 * The revision whose figures count, among a return's stored revisions (highest first): the highest
 * that was not returned; undefined when every revision was returned.
 */
export function countedRevision<R extends { review: ReviewState }>(revisionsHighestFirst: R[]): R | undefined {
  return revisionsHighestFirst.find((r) => r.review !== 'returned');
}

/** The sentence on the summary (screen and workbook) naming the returned units whose figures are left out. */
export function returnedFiguresNote(names: string[]): string {
  return (
    `Báo cáo bị trả lại được tính là đã nộp (và ghi là bị trả lại), nhưng số liệu của lần nộp bị trả lại không được cộng vào biểu tổng hợp. ` +
    `Chưa có số liệu được tính của: ${names.join(', ')}; số liệu sẽ được cộng khi đơn vị nộp lại bản sửa.`
  );
}
