// The contract every CLI-output detector implements. Detectors are pure: lines in, lines out.

export interface CliFilter {
  /** Stable id, reported as `detected_type` and accepted as `command_hint`. */
  id: string;
  /** The detector family (one module each): git, tests, build, install, log. */
  family: string;
  title: string;
  /** Extra `command_hint` spellings that select this detector (command names, seed hints). */
  aliases: string[];
  /** What survives verbatim (shown by list_cli_filters). */
  keeps: string[];
  /** What is dropped or folded. */
  drops: string[];
  /**
   * Confidence in [0, 1] that the cleaned lines are this tool's output. 0 means "not mine".
   * Scores are compared across detectors; ties go to the earlier detector in the list.
   */
  detect(lines: readonly string[]): number;
  /**
   * Compress cleaned lines (ANSI and carriage-return progress already resolved). A generator that
   * yields now and then (every YIELD_EVERY + 1 lines) so long inputs need not block the event loop;
   * its return value is the output. Drive it with `runSync` or an async driver.
   */
  filter(lines: readonly string[]): Generator<undefined, string[], unknown>;
}
