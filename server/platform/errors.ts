/** Typed errors that the one error handler (and the CLI) map to statuses. Messages are safe to show. */
export interface FieldProblem {
  /** what the problem is about: an item code, a field name, or a path in a document */
  field: string;
  message: string;
}

export class AppError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends AppError {
  constructor(
    message: string,
    readonly problems: FieldProblem[] = [],
  ) {
    super(message, 422, 'invalid');
  }
}

export class NotFoundError extends AppError {
  constructor(message = 'not found') {
    super(message, 404, 'not_found');
  }
}

export class ConflictError extends AppError {
  constructor(message: string, code = 'conflict') {
    super(message, 409, code);
  }
}

export class GoneError extends AppError {
  constructor(message: string, code = 'gone') {
    super(message, 410, code);
  }
}

/** A problem with an input file or argument as a whole (CLI exit 1, HTTP 422). */
export class InputError extends AppError {
  constructor(message: string) {
    super(message, 422, 'input_rejected');
  }
}

/** SQLite result codes that mean the storage, not the request, is at fault: a full or read-only
 * disk, an I/O error, a lock held too long. The request can succeed later, unchanged. */
const STORAGE_FAULT = /^SQLITE_(FULL|READONLY|IOERR|BUSY|LOCKED|CANTOPEN|PROTOCOL|NOLFS)/;

export function isStorageFault(error: unknown): error is Error & { code: string } {
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof Error && typeof code === 'string' && STORAGE_FAULT.test(code);
}
