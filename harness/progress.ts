/** Progress lines for people and CI logs: elapsed time since the command started, then the message. */
const started = Date.now();

export type Progress = (line: string) => void;

export const stderrProgress: Progress = (line) => {
  const elapsed = ((Date.now() - started) / 1000).toFixed(1).padStart(6);
  process.stderr.write(`[${elapsed}s] ${line}\n`);
};
