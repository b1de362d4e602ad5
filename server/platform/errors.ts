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
