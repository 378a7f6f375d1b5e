import { unknownParams } from '../../training/algorithms/defaults.js';
import { ALGORITHMS, type Algorithm, type Params } from '../../training/model.js';
import { AppError } from '../errors.js';

export interface ParamsRequest {
  readonly algorithm?: Algorithm | 'auto' | undefined;
  readonly trials?: number | undefined;
  readonly params?: Params | undefined;
}

/** Which algorithms a request trains: the one named, every one for `auto`, logreg by default. */
export function algorithmsOf(request: ParamsRequest): Algorithm[] {
  const algorithm = request.algorithm ?? ((request.trials ?? 1) > 1 ? 'auto' : 'logreg');
  return algorithm === 'auto' ? [...ALGORITHMS] : [algorithm];
}

/**
 * A 422 naming each param the request's algorithms do not take, checked before any work starts
 * (the admin API answers it instead of accepting a run that can only fail).
 */
export function checkParams(request: ParamsRequest): void {
  const problems = unknownParams(algorithmsOf(request), request.params ?? {});
  if (problems.length === 0) return;
  throw new AppError('VALIDATION_FAILED', `invalid params: ${problems[0]!.message}`, {
    details: problems.map((p) => ({ field: `params.${p.param}`, message: p.message })),
  });
}
