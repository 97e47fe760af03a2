// Structural-loss advisory: count fenced code blocks, Markdown headings and URLs before and after
// compression; any class with fewer occurrences out than in is reported (X-Fidelity-Warning). Pure.

export const STRUCTURE_CLASSES = ['code_blocks', 'headings', 'urls'] as const;
export type StructureClass = (typeof STRUCTURE_CLASSES)[number];
export type StructureCounts = Record<StructureClass, number>;

const URL_RE = /\bhttps?:\/\/[^\s<>"'`)\]]+/g;

export function countStructure(text: string): StructureCounts {
  let codeBlocks = 0;
  let headings = 0;
  let inFence: string | null = null;
  for (const line of text.split('\n')) {
    const fence = /^ {0,3}(`{3,}|~{3,})/.exec(line);
    if (fence) {
      if (inFence === null) {
        inFence = fence[1]!;
        codeBlocks++;
      } else if (line.trim().startsWith(inFence)) inFence = null;
      continue;
    }
    if (inFence === null && /^ {0,3}#{1,6}(?:\s|$)/.test(line)) headings++;
  }
  const urls = text.match(URL_RE)?.length ?? 0;
  return { code_blocks: codeBlocks, headings, urls };
}

/** Classes with fewer occurrences in `after` than in `before`, in a fixed order. */
export function structuralLoss(before: StructureCounts, after: StructureCounts): StructureClass[] {
  return STRUCTURE_CLASSES.filter((c) => after[c] < before[c]);
}
