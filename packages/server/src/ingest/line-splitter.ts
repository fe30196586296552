/** Cuts text arriving in chunks into lines. */
export interface LineSplitter {
  /** The lines this chunk completes, in order (a line too long was reported first, through `onTooLong`). */
  push(chunk: string): string[];
  /** The unfinished last line, if any (a line ending in a skipped one is reported through `onTooLong`). */
  end(): string[];
}

/**
 * Creates a splitter that holds at most `maxLength` characters of an unfinished line: the rest of a longer line is
 * skipped up to its newline (never buffered), and `onTooLong(length)` is called once for it, before the lines after
 * it are returned. A line wholly inside one chunk is returned whatever its length (the caller checks it).
 */
export function createLineSplitter(maxLength: number, onTooLong: (length: number) => void): LineSplitter {
  let rest = '';
  let skipping = false;
  let skipped = 0;
  return {
    push(chunk) {
      let text = chunk;
      if (skipping) {
        const newline = text.indexOf('\n');
        if (newline === -1) {
          skipped += text.length;
          return [];
        }
        skipping = false;
        onTooLong(skipped + newline);
        text = text.slice(newline + 1);
      }
      const lines = (rest + text).split('\n');
      rest = lines.pop() ?? '';
      if (rest.length > maxLength) {
        skipping = true;
        skipped = rest.length;
        rest = '';
      }
      return lines;
    },
    end() {
      if (skipping) onTooLong(skipped);
      const last = rest;
      rest = '';
      skipping = false;
      return last === '' ? [] : [last];
    },
  };
}
