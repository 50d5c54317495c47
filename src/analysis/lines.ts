// Offsets → 1-based lines and columns, as the editor counts them: a line ends at \n, \r\n or a lone \r, and
// columns count UTF-16 code units (JavaScript string indices).

export interface LineColumn { line: number; column: number }

export class LineIndex {
  /** Offset of the first character of each line. */
  private readonly starts: number[] = [0];

  constructor(private readonly text: string) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10) this.starts.push(i + 1);
      else if (c === 13) {
        if (text.charCodeAt(i + 1) === 10) i++;
        this.starts.push(i + 1);
      }
    }
  }

  /** 1-based line and column of an offset (clamped to the text). */
  at(offset: number): LineColumn {
    const o = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= o) lo = mid; else hi = mid - 1;
    }
    // An offset between \r and \n belongs to the end of its line, as in the editor.
    let lineEnd = this.text.length;
    if (lo + 1 < this.starts.length) {
      const next = this.starts[lo + 1];
      lineEnd = this.text[next - 1] === '\n' && next - 2 >= this.starts[lo] && this.text[next - 2] === '\r' ? next - 2 : next - 1;
    }
    return { line: lo + 1, column: Math.min(o, lineEnd) - this.starts[lo] + 1 };
  }
}
