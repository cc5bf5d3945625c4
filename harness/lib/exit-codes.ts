// SPDX-License-Identifier: GPL-2.0-only
/** Exit codes, one meaning each; they fit `git bisect run`. */
export const EXIT = {
  /** The kernel is good: every oracle saw nothing, or a smoke check passed. */
  good: 0,
  /** A reset regression was detected. */
  regression: 1,
  /** Bad command-line input (never used by `bisect`, which says 125 instead). */
  usage: 2,
  /** Could not decide: build failure, boot failure, infrastructure error, invalid run. */
  undecided: 125,
} as const;
