/**
 * Spreadsheet-like keyboard moves in the form: Enter → next input cell, Shift+Enter → previous,
 * ArrowUp/ArrowDown → same column in the row above/below. Computed cells are not stops (they are
 * not inputs). Cells are elements marked `data-nav-cell`; the control inside takes the focus.
 */

function visible(el: HTMLElement): boolean {
  return el.offsetParent !== null || el.getClientRects().length > 0;
}

export function navCells(root: ParentNode): HTMLElement[] {
  return Array.from(root.querySelectorAll<HTMLElement>('[data-nav-cell]')).filter(visible);
}

export function focusCellIn(container: HTMLElement): boolean {
  const el = container.querySelector<HTMLElement>(
    'input:not([type=hidden]):not([type=file]):not([disabled]), select:not([disabled]), textarea:not([disabled]), button[data-add-row]:not([disabled])',
  );
  if (!el) return false;
  el.focus();
  if ((el instanceof HTMLInputElement && el.type === 'text') || (el instanceof HTMLTextAreaElement && el.dataset.cell))
    (el as HTMLInputElement).select();
  el.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  return true;
}

/** Move to the next/previous cell; false when there is none in this direction. */
export function moveFocus(from: HTMLElement, dir: 1 | -1, root: ParentNode): boolean {
  const cells = navCells(root);
  const here = from.closest<HTMLElement>('[data-nav-cell]');
  let i = here ? cells.indexOf(here) : -1;
  if (i < 0) return false;
  for (i += dir; i >= 0 && i < cells.length; i += dir) if (focusCellIn(cells[i]!)) return true;
  return false;
}

export function focusEdge(root: ParentNode, which: 'first' | 'last'): void {
  const cells = navCells(root);
  const list = which === 'first' ? cells : [...cells].reverse();
  for (const c of list) if (focusCellIn(c)) return;
}

function isTextLike(el: Element): el is HTMLInputElement {
  return el instanceof HTMLInputElement && (el.type === 'text' || el.type === 'search' || el.type === 'tel');
}

/**
 * The form's keydown handler. `onEdge(dir)` is called when Enter runs past the first or last
 * cell of the visible biểu (the editor then turns to the neighbouring biểu).
 */
export function handleGridKey(
  e: React.KeyboardEvent<HTMLElement>,
  onEdge: (dir: 1 | -1, force?: boolean) => void,
): void {
  const target = e.target as HTMLElement;
  // Ctrl+PageDown / Ctrl+PageUp: next / previous biểu, as between the sheets of a spreadsheet.
  if (e.ctrlKey && (e.key === 'PageDown' || e.key === 'PageUp')) {
    e.preventDefault();
    onEdge(e.key === 'PageDown' ? 1 : -1, true);
    return;
  }
  if (e.ctrlKey || e.altKey || e.metaKey || e.nativeEvent.isComposing) return;
  if (!target.closest('[data-nav-cell]')) return;
  const root = e.currentTarget;
  if (e.key === 'Enter') {
    const ok =
      target instanceof HTMLSelectElement ||
      (target instanceof HTMLTextAreaElement && !!target.dataset.cell && !target.dataset.multiline) ||
      (target instanceof HTMLInputElement && !['button', 'submit', 'file'].includes(target.type));
    if (!ok) return;
    e.preventDefault();
    const dir = e.shiftKey ? -1 : 1;
    if (!moveFocus(target, dir, root)) onEdge(dir);
    return;
  }
  if ((e.key === 'ArrowDown' || e.key === 'ArrowUp') && isTextLike(target) && target.dataset.grid) {
    const row = Number(target.dataset.row) + (e.key === 'ArrowDown' ? 1 : -1);
    const next = root.querySelector<HTMLElement>(
      `[data-grid="${target.dataset.grid}"][data-row="${row}"][data-col="${target.dataset.col}"]`,
    );
    if (next) {
      e.preventDefault();
      next.focus();
      if (next instanceof HTMLInputElement) next.select();
    }
  }
}

/** Focus the cell of an issue: the exact cell, else the first input of its row or item. */
export function focusPath(root: ParentNode, paths: string[]): boolean {
  for (const p of paths) {
    let cur = p;
    while (cur) {
      const exact = root.querySelector<HTMLElement>(`[data-cell="${CSS.escape(cur)}"]`);
      const inside = exact ?? root.querySelector<HTMLElement>(`[data-cell^="${CSS.escape(cur)}."]`);
      if (inside) {
        inside.scrollIntoView({ block: 'center', inline: 'nearest' });
        inside.focus({ preventScroll: true });
        return true;
      }
      const cut = cur.lastIndexOf('.');
      if (cut < 0) break;
      cur = cur.slice(0, cut);
    }
  }
  return false;
}
