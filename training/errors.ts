/** Base class for errors raised by the training core; `code` is stable and machine-readable. */
export class TrainingError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TrainingError';
    this.code = code;
  }
}

export type DatasetErrorCode =
  | 'EMPTY_FILE'
  | 'MISSING_TARGET'
  | 'DUPLICATE_COLUMN'
  | 'UNKNOWN_FEATURE'
  | 'NO_FEATURES'
  | 'UNTERMINATED_QUOTE'
  | 'RAGGED_ROW'
  | 'NON_NUMERIC'
  | 'OUT_OF_RANGE'
  | 'MISSING_LABEL'
  | 'SINGLE_CLASS'
  | 'TOO_FEW_ROWS'
  | 'UNKNOWN_DATASET'
  | 'TOO_LARGE'
  | 'TOO_MANY_CLASSES'
  | 'TRUNCATED';

/** The data cannot be used for training; the message names the line/column where it applies. */
export class DatasetError extends TrainingError {
  declare readonly code: DatasetErrorCode;
  readonly line: number | undefined;
  readonly column: string | undefined;
  constructor(
    code: DatasetErrorCode,
    message: string,
    context: { line?: number; column?: string } = {},
    options?: ErrorOptions,
  ) {
    super(code, message, options);
    this.name = 'DatasetError';
    this.line = context.line;
    this.column = context.column;
  }
}

/** A serialised model (toJSON output) is not one this code can load. */
export class ModelFormatError extends TrainingError {
  constructor(message: string, options?: ErrorOptions) {
    super('BAD_MODEL_FORMAT', message, options);
    this.name = 'ModelFormatError';
  }
}
