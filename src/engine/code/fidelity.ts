// What each fidelity keeps of a code file (the names follow the text-compression levels).
export const CODE_FIDELITIES = ['abstract', 'outline', 'balanced', 'detailed', 'raw'] as const;
export type CodeFidelity = (typeof CODE_FIDELITIES)[number];

export interface FidelityPlan {
  /** Share of elidable bodies kept in full, the highest-PageRank symbols first. */
  bodyShare: number;
  /**
   * Kept bodies may use at most this share of the file's characters (at least BODY_BUDGET_MIN_CHARS):
   * one huge top-ranked function must not undo the compression. Bodies over budget are skipped.
   */
  bodyBudget: number;
  /** Lines of a leading comment run or docstring kept before it is cut. */
  commentLines: number;
  /** abstract only: share of top-level definitions whose signature is listed. */
  signatureShare: number;
}

export const FIDELITY_PLANS: Record<Exclude<CodeFidelity, 'raw'>, FidelityPlan> = {
  abstract: { bodyShare: 0, bodyBudget: 0, commentLines: 0, signatureShare: 0.25 },
  outline: { bodyShare: 0, bodyBudget: 0, commentLines: 3, signatureShare: 1 },
  balanced: { bodyShare: 0.1, bodyBudget: 0.15, commentLines: 6, signatureShare: 1 },
  detailed: { bodyShare: 0.35, bodyBudget: 0.4, commentLines: 40, signatureShare: 1 },
};

export const BODY_BUDGET_MIN_CHARS = 600;

export function isCodeFidelity(v: string): v is CodeFidelity {
  return (CODE_FIDELITIES as readonly string[]).includes(v);
}
