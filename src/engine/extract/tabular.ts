// CSV and JSON are summarised, not stored raw: a schema (column types, fill, ranges, common values)
// plus a few sample rows is what an agent can use; thousands of raw rows would drown every search.
import { BadRequest } from '../../errors.js';
import type { Extracted } from './types.js';

export const SAMPLE_ROWS = 5;
const CELL_CHARS = 60;

type ColType = 'integer' | 'number' | 'boolean' | 'date' | 'string' | 'empty';

/** RFC 4180 CSV: quoted fields, doubled quotes, newlines inside quotes. */
export function parseCsv(text: string, delimiter: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"' && field.length === 0) quoted = true;
    else if (c === delimiter) {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      field = '';
      if (row.length > 1 || row[0] !== '') rows.push(row);
      row = [];
    } else field += c;
  }
  if (field.length > 0 || row.length > 0) {
    row.push(field);
    if (row.length > 1 || row[0] !== '') rows.push(row);
  }
  return rows;
}

/** The delimiter whose per-line count is highest and most consistent over the first lines. */
export function sniffDelimiter(text: string): string {
  const lines = text.split(/\r?\n/).filter((l) => l.length > 0).slice(0, 20);
  let best = ',';
  let bestScore = -1;
  for (const d of [',', ';', '\t', '|']) {
    const counts = lines.map((l) => l.split(d).length - 1);
    const first = counts[0] ?? 0;
    if (first === 0) continue;
    const consistent = counts.filter((c) => c === first).length / counts.length;
    const score = consistent * 100 + first;
    if (score > bestScore) {
      bestScore = score;
      best = d;
    }
  }
  return best;
}

function valueType(v: string): ColType {
  const s = v.trim();
  if (s === '') return 'empty';
  if (/^[-+]?\d+$/.test(s)) return 'integer';
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) return 'number';
  if (/^(true|false|yes|no)$/i.test(s)) return 'boolean';
  if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(s) && !Number.isNaN(Date.parse(s))) return 'date';
  return 'string';
}

function mergeTypes(a: ColType, b: ColType): ColType {
  if (a === b || b === 'empty') return a;
  if (a === 'empty') return b;
  if ((a === 'integer' && b === 'number') || (a === 'number' && b === 'integer')) return 'number';
  return 'string';
}

const clip = (s: string, n = CELL_CHARS) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const cell = (s: string) => clip(s.replace(/\s+/g, ' ').trim()).replace(/\|/g, '\\|');

export interface ColumnSummary {
  name: string;
  type: ColType;
  nonEmpty: number;
  distinct: number;
  min?: string;
  max?: string;
  top?: string[];
}

export function summariseColumns(header: string[], rows: string[][]): ColumnSummary[] {
  return header.map((name, c) => {
    let type: ColType = 'empty';
    const counts = new Map<string, number>();
    let nonEmpty = 0;
    for (const r of rows) {
      const v = (r[c] ?? '').trim();
      type = mergeTypes(type, valueType(v));
      if (v === '') continue;
      nonEmpty++;
      counts.set(v, (counts.get(v) ?? 0) + 1);
    }
    const col: ColumnSummary = { name: name.trim() || `column_${c + 1}`, type, nonEmpty, distinct: counts.size };
    const values = [...counts.keys()];
    if (type === 'integer' || type === 'number') {
      const nums = values.map(Number);
      col.min = String(Math.min(...nums));
      col.max = String(Math.max(...nums));
    } else if (type === 'date') {
      const sorted = values.sort();
      col.min = sorted[0];
      col.max = sorted[sorted.length - 1];
    } else if (type === 'string' || type === 'boolean') {
      // Common values only when the column is categorical, not free text.
      if (counts.size <= Math.max(20, rows.length / 5)) {
        col.top = [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([v, n]) => `${clip(v, 30)} (${n})`);
      }
    }
    return col;
  });
}

function markdownTable(header: string[], rows: string[][]): string {
  const lines = [`| ${header.map(cell).join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`];
  for (const r of rows) lines.push(`| ${header.map((_, i) => cell(r[i] ?? '')).join(' | ')} |`);
  return lines.join('\n');
}

function schemaTable(cols: ColumnSummary[]): string {
  const rows = cols.map((c) => [
    c.name,
    c.type,
    String(c.nonEmpty),
    String(c.distinct),
    c.min !== undefined ? `${c.min} … ${c.max}` : c.top ? c.top.join(', ') : '',
  ]);
  return markdownTable(['column', 'type', 'non-empty', 'distinct', 'range / common values'], rows);
}

export function extractCsv(source: string, name: string | null): Extracted {
  const text = source.replace(/^\uFEFF/, '');
  const delimiter = sniffDelimiter(text);
  const all = parseCsv(text, delimiter);
  if (all.length === 0) throw new BadRequest('file: the CSV has no rows', 'empty_file');
  const header = all[0]!;
  const rows = all.slice(1);
  const ragged = rows.filter((r) => r.length !== header.length).length;
  const cols = summariseColumns(header, rows);
  const delimName = delimiter === '\t' ? 'tab' : `"${delimiter}"`;
  const title = name ?? 'CSV table';
  const parts = [
    `# ${title}`,
    `CSV table: ${rows.length} rows × ${header.length} columns (delimiter ${delimName}).`,
    `## Schema\n\n${schemaTable(cols)}`,
    `## Sample rows (first ${Math.min(SAMPLE_ROWS, rows.length)} of ${rows.length})\n\n${markdownTable(cols.map((c) => c.name), rows.slice(0, SAMPLE_ROWS))}`,
  ];
  const warnings = ragged > 0 ? [`${ragged} row(s) have a different number of fields than the header`] : [];
  return { format: 'csv', title, text: parts.join('\n\n'), meta: { rows: rows.length, columns: header.length, delimiter: delimName }, warnings };
}

// ---- JSON ----

type Shape =
  | { kind: 'null' | 'boolean' | 'integer' | 'number' | 'string' }
  | { kind: 'array'; items: Shape | null }
  | { kind: 'object'; fields: Map<string, { shape: Shape; seen: number }>; count: number }
  | { kind: 'union'; options: Shape[] };

function shapeOf(v: unknown, depth: number): Shape {
  if (v === null) return { kind: 'null' };
  if (typeof v === 'boolean') return { kind: 'boolean' };
  if (typeof v === 'number') return { kind: Number.isInteger(v) ? 'integer' : 'number' };
  if (typeof v === 'string') return { kind: 'string' };
  if (Array.isArray(v)) {
    let items: Shape | null = null;
    // The first 200 elements are enough to see the shape of a homogeneous array.
    for (const el of v.slice(0, 200)) items = items ? mergeShape(items, shapeOf(el, depth + 1)) : shapeOf(el, depth + 1);
    return { kind: 'array', items };
  }
  const fields = new Map<string, { shape: Shape; seen: number }>();
  if (depth < 6) for (const [k, val] of Object.entries(v as object)) fields.set(k, { shape: shapeOf(val, depth + 1), seen: 1 });
  return { kind: 'object', fields, count: 1 };
}

function mergeShape(a: Shape, b: Shape): Shape {
  if (a.kind === 'object' && b.kind === 'object') {
    const fields = new Map(a.fields);
    for (const [k, f] of b.fields) {
      const prev = fields.get(k);
      fields.set(k, prev ? { shape: mergeShape(prev.shape, f.shape), seen: prev.seen + f.seen } : f);
    }
    return { kind: 'object', fields, count: a.count + b.count };
  }
  if (a.kind === 'array' && b.kind === 'array') {
    return { kind: 'array', items: a.items && b.items ? mergeShape(a.items, b.items) : (a.items ?? b.items) };
  }
  if (a.kind === b.kind) return a;
  if ((a.kind === 'integer' && b.kind === 'number') || (a.kind === 'number' && b.kind === 'integer')) return { kind: 'number' };
  const options = [...(a.kind === 'union' ? a.options : [a]), ...(b.kind === 'union' ? b.options : [b])];
  const unique: Shape[] = [];
  for (const o of options) if (!unique.some((u) => u.kind === o.kind)) unique.push(o);
  return unique.length === 1 ? unique[0]! : { kind: 'union', options: unique };
}

/** TypeScript-like rendering: `{ id: integer, tags: string[], note?: string | null }`. */
export function renderShape(s: Shape | null, indent = ''): string {
  if (!s) return 'unknown';
  switch (s.kind) {
    case 'array': {
      const inner = renderShape(s.items, indent);
      return s.items?.kind === 'union' ? `(${inner})[]` : `${inner}[]`;
    }
    case 'union':
      return s.options.map((o) => renderShape(o, indent)).join(' | ');
    case 'object': {
      if (s.fields.size === 0) return '{}';
      const next = `${indent}  `;
      const lines = [...s.fields.entries()].map(([k, f]) => `${next}${k}${f.seen < s.count ? '?' : ''}: ${renderShape(f.shape, next)}`);
      return `{\n${lines.join(',\n')}\n${indent}}`;
    }
    default:
      return s.kind;
  }
}

/** The array of records in a JSON document: the root, or the largest array-of-objects property. */
function findRecords(v: unknown): { path: string; records: Record<string, unknown>[] } | null {
  const isRecords = (a: unknown): a is Record<string, unknown>[] =>
    Array.isArray(a) && a.length > 0 && a.every((x) => x !== null && typeof x === 'object' && !Array.isArray(x));
  if (isRecords(v)) return { path: '$', records: v };
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    let best: { path: string; records: Record<string, unknown>[] } | null = null;
    for (const [k, val] of Object.entries(v)) {
      if (isRecords(val) && (!best || val.length > best.records.length)) best = { path: `$.${k}`, records: val };
    }
    return best;
  }
  return null;
}

export function extractJson(source: string, name: string | null): Extracted {
  let value: unknown;
  try {
    value = JSON.parse(source.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new BadRequest(`file: not valid JSON (${(err as Error).message})`, 'invalid_json');
  }
  const title = name ?? 'JSON document';
  const shape = shapeOf(value, 0);
  const parts = [`# ${title}`];
  const found = findRecords(value);
  const meta: Extracted['meta'] = { root: Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value };
  if (found) {
    const header = [...new Set(found.records.slice(0, 200).flatMap((r) => Object.keys(r)))];
    const asStrings = (r: Record<string, unknown>) =>
      header.map((h) => (r[h] === undefined || r[h] === null ? '' : typeof r[h] === 'object' ? JSON.stringify(r[h]) : String(r[h])));
    const rows = found.records.map(asStrings);
    parts.push(`JSON with ${found.records.length} records at ${found.path} (${header.length} fields).`);
    parts.push(`## Schema\n\n\`\`\`\n${renderShape(shape)}\n\`\`\``);
    parts.push(`## Fields\n\n${schemaTable(summariseColumns(header, rows))}`);
    parts.push(`## Sample records (first ${Math.min(SAMPLE_ROWS, rows.length)} of ${rows.length})\n\n${markdownTable(header, rows.slice(0, SAMPLE_ROWS))}`);
    meta.records = found.records.length;
    meta.records_path = found.path;
    meta.fields = header.length;
  } else {
    parts.push(`## Schema\n\n\`\`\`\n${renderShape(shape)}\n\`\`\``);
    const pretty = JSON.stringify(value, null, 2);
    parts.push(`## Sample\n\n\`\`\`json\n${pretty.length > 2000 ? `${pretty.slice(0, 2000)}\n…` : pretty}\n\`\`\``);
  }
  return { format: 'json', title, text: parts.join('\n\n'), meta, warnings: [] };
}
