/** Progress on stderr for long work: redrawn in place on a terminal, a line every few seconds otherwise. */
export function progressReporter(label: string, intervalMs = process.stderr.isTTY ? 250 : 5000) {
  const started = Date.now();
  let last = 0;
  let shown = false;
  return {
    update(text: string, force = false) {
      const now = Date.now();
      if (!force && now - last < intervalMs) return;
      last = now;
      const secs = ((now - started) / 1000).toFixed(1);
      if (process.stderr.isTTY) {
        process.stderr.write(`\r\x1b[K${label}: ${text} (${secs}s)`);
        shown = true;
      } else process.stderr.write(`${label}: ${text} (${secs}s)\n`);
    },
    done() {
      if (shown && process.stderr.isTTY) process.stderr.write('\n');
    },
    elapsedMs: () => Date.now() - started,
  };
}

export function rate(count: number, ms: number) {
  return ms > 0 ? Math.round((count * 1000) / ms).toLocaleString('en-US') : '–';
}
