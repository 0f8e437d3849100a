import type { PdfLine } from "./pdf-text.ts";
import { joinLines } from "./words.ts";

// Tables: where a PDF prints a grid, its cells wrap within their columns, so
// that one printed line holds pieces of several cells and one cell runs over
// several lines ("Ceramics (19) and Low expansion" + "Silicides", then
// "glasses (14)"). Read line by line, the cells interleave; read by column
// and row, each row's cells stay together. This file knows layouts, not
// export controls.

/** A grid found in the body: its lines (in reading order), the x where each column starts, where it stands. */
export interface Table {
  lines: PdfLine[];
  columns: number[];
  /** The first and last of the document's lines it takes (`skip` lines among them included). */
  from: number;
  to: number;
}

/** How far apart two x positions may be and still start one column (justified cells start at one x; rounding aside). */
const SAME_COLUMN = 1.5;
/** A gap this wide (in font sizes) inside a line is a gutter between columns, not a space between words. */
const GUTTER = 1.5;
/** Lines of a cell are this close (in font sizes, baseline to baseline); paragraphs and rows stand further apart. */
const CELL_LEADING = 1.3;
/** Lines showing gutters belong to one table while no more than this many lines stand between them. */
const GUTTER_REACH = 30;
/** A column is where at least this many lines of a table show a gutter. */
const MIN_GUTTERS = 3;

/**
 * Text before a gutter that is a paragraph's label, number or note word, not
 * a cell: "a.", "2A226", "ML4.b.", "Note:", "Technical Notes". A line of a
 * numbered list sets its label apart like a column, and every paragraph of
 * the lists is printed so: two columns, a label and its text, are a
 * paragraph, never a table.
 */
const LABEL_LIKE =
  /^(?:(?:\(?[a-z0-9]{1,3}[.):]|\d\.?\s?[A-E]\.?\s?\d{1,3}\S*|ML\s?\d{1,2}\S*|N\.\s?B\.:?|(?:Technical\s+)?Notes?\s*\d*[.:]?)\s*)+$/;

/** Where, inside a line, a piece starts after a gutter, the text before it not a label. */
function gutterStarts(line: PdfLine): number[] {
  const out: number[] = [];
  let before = "";
  let end = Number.NEGATIVE_INFINITY;
  for (const seg of line.segments) {
    const gap = seg.x - end;
    const text = before.trim();
    if (text && gap >= GUTTER * line.size && !LABEL_LIKE.test(text) && /\s/.test(text)) out.push(seg.x);
    before += seg.text;
    end = Math.max(end, seg.xEnd);
  }
  return out;
}

const near = (a: number, b: number) => Math.abs(a - b) <= SAME_COLUMN;

/** x positions seen often enough, each the average of its cluster. */
function clusters(xs: number[], min: number): number[] {
  const sorted = [...xs].sort((a, b) => a - b);
  const out: number[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i + 1;
    while (j < sorted.length && sorted[j]! - sorted[j - 1]! <= SAME_COLUMN) j++;
    if (j - i >= min) out.push(sorted[i]!);
    i = j;
  }
  return out;
}

/** Whether a line fits the grid: it starts where a column does, and no piece of it runs across a column's start. */
function fitsGrid(line: PdfLine, columns: readonly number[]): boolean {
  if (!columns.some((c) => near(line.x, c))) return false;
  return !line.segments.some((seg) =>
    columns.some((c) => seg.x < c - SAME_COLUMN && seg.xEnd > c + SAME_COLUMN && seg.text.trim()),
  );
}

/**
 * The tables among the document's lines (in reading order, pages one after
 * another). A table is at least three columns: lines showing gutters, each
 * within `GUTTER_REACH` lines of the one before, show them at the same x
 * (`MIN_GUTTERS` times each, at two x positions at least), which with the
 * left edge those lines start at are its columns. It starts at the first of
 * them showing a gutter at a column and goes on while lines fit the grid
 * (`fitsGrid`); a line `skip` says is no text ("… continued" at a page's
 * head) is passed over.
 */
export function findTables(
  lines: readonly PdfLine[],
  skip: (line: PdfLine) => boolean = () => false,
): Table[] {
  const gutters = lines.map(gutterStarts);
  const tables: Table[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!gutters[i]!.length) continue;
    const showing = [i];
    for (let j = i + 1; j < lines.length && j - showing[showing.length - 1]! <= GUTTER_REACH; j++)
      if (gutters[j]!.length) showing.push(j);
    const last = showing[showing.length - 1]!;
    const left = Math.min(...showing.map((k) => lines[k]!.x));
    const inner = clusters(
      showing.flatMap((k) => gutters[k]!),
      MIN_GUTTERS,
    ).filter((x) => x > left + SAME_COLUMN);
    if (inner.length < 2) {
      i = last;
      continue;
    }
    const columns = [left, ...inner];
    const start = showing.find((k) => gutters[k]!.some((x) => inner.some((c) => near(x, c))))!;
    const taken: PdfLine[] = [];
    let end = start;
    for (let j = start; j < lines.length; j++) {
      const line = lines[j]!;
      if (skip(line)) continue;
      if (!fitsGrid(line, columns)) break;
      taken.push(line);
      end = j;
    }
    if (taken.length >= 2) tables.push({ lines: taken, columns, from: start, to: end });
    i = Math.max(end, start);
  }
  return tables;
}

interface Fragment {
  line: PdfLine;
  column: number;
  text: string;
}

/** A line cut at the columns' starts: what it prints in each column. */
function fragments(line: PdfLine, columns: readonly number[]): Fragment[] {
  const byColumn = new Map<number, string>();
  for (const seg of line.segments) {
    let column = 0;
    for (let c = 0; c < columns.length; c++) if (seg.x >= columns[c]! - SAME_COLUMN) column = c;
    byColumn.set(column, (byColumn.get(column) ?? "") + seg.text);
  }
  return [...byColumn]
    .map(([column, text]) => ({ line, column, text: text.replace(/\s+/g, " ").trim() }))
    .filter((f) => f.text);
}

/**
 * A table's rows, in reading order, each its cells joined by " | " (an
 * empty cell empty; empty cells at a row's end left out). A cell's lines are
 * joined like a paragraph's. A row starts where a cell starts in a column
 * other than the last (a cell in the first column spanning several rows is
 * printed in the first of them); in the last column, cells that start within
 * a row are its items, joined by "; " ("Silicides; Carbides; Diamond").
 */
export function tableRows(table: Table, words: ReadonlySet<string> | null): string[] {
  const lastColumn = table.columns.length - 1;
  const frags = table.lines
    .flatMap((l) => fragments(l, table.columns))
    .sort((a, b) => a.line.page - b.line.page || b.line.y - a.line.y || a.column - b.column);
  type Cell = { lines: string[]; last: PdfLine };
  const rows: Cell[][][] = [];
  let row: Cell[][] | null = null;
  for (const f of frags) {
    const open = row?.[f.column];
    const cell = open?.[open.length - 1];
    // A line of the cell above: the same row, the same page, a line's distance below it.
    if (
      cell &&
      cell.last.page === f.line.page &&
      cell.last.y - f.line.y <= CELL_LEADING * Math.max(cell.last.size, f.line.size)
    ) {
      cell.lines.push(f.text);
      cell.last = f.line;
      continue;
    }
    const startsRow =
      !row ||
      (f.column < lastColumn && row.some((cells, c) => c >= f.column && c < lastColumn && cells.length));
    if (startsRow) {
      row = table.columns.map(() => []);
      rows.push(row);
    }
    row![f.column]!.push({ lines: [f.text], last: f.line });
  }
  return rows.map((cells) => {
    const texts = cells.map((items) => items.map((item) => joinLines(item.lines, words)).join("; "));
    while (texts.length && !texts[texts.length - 1]) texts.pop();
    return texts.join(" | ").trim();
  });
}
