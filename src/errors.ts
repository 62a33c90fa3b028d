/**
 * Error classes. Each carries a stable `code` and the exit status the entry point uses;
 * only `cli.ts` turns an error into output and an exit code.
 *
 * Exit codes: 0 ok (empty results too), 1 runtime failure, 2 usage error,
 * 3 problems found (doctor).
 */

export class MlrError extends Error {
  readonly code: string;
  readonly exitCode: number;
  constructor(message: string, code = 'error', exitCode = 1) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.exitCode = exitCode;
  }
}

/** Bad flags, bad arguments, invalid input values: exit 2. */
export class UsageError extends MlrError {
  constructor(message: string, code = 'usage') {
    super(message, code, 2);
  }
}

/** Something named does not exist (run, experiment, model, store): exit 1. */
export class NotFoundError extends MlrError {
  constructor(message: string, code = 'not-found') {
    super(message, code, 1);
  }
}

/** The store's state forbids the operation (deleted run, param already logged…): exit 1. */
export class StateError extends MlrError {
  constructor(message: string, code = 'invalid-state') {
    super(message, code, 1);
  }
}

/**
 * A filter or order-by clause that does not parse. `pos` is `[start, end)` in `source`;
 * the message rendered by `formatFilterError` shows the expression and a caret line.
 */
export class FilterError extends UsageError {
  readonly source: string;
  readonly pos: [number, number];
  readonly detail: string;
  constructor(detail: string, source: string, pos: [number, number], code = 'filter-syntax') {
    super(formatCaret(detail, source, pos), code);
    this.source = source;
    this.pos = pos;
    this.detail = detail;
  }
}

/** `detail` on the first line, then the expression (cut to 80 columns) and a caret under pos. */
function formatCaret(detail: string, source: string, pos: [number, number]): string {
  const max = 80;
  let [start, end] = pos;
  start = Math.max(0, Math.min(start, source.length));
  end = Math.max(start + 1, Math.min(end, source.length + 1));
  let text = source;
  let offset = 0;
  if (text.length > max) {
    offset = Math.max(0, Math.min(start - 20, text.length - max));
    text = (offset > 0 ? '…' : '') + text.slice(offset, offset + max - 1) + (offset + max - 1 < source.length ? '…' : '');
    if (offset > 0) offset -= 1;
  }
  const caretStart = start - offset;
  const caretLen = Math.max(1, Math.min(end - start, max));
  return `${detail}\n  ${text}\n  ${' '.repeat(caretStart)}${'^'.repeat(caretLen)}`;
}
