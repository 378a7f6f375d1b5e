import { metrics as defaultSink, type MetricsSink, type ProductionModelReport } from './index.js';

/** The parts of a training outcome the metrics need (structural, so core/training stays the owner). */
export type ObservableOutcome =
  | {
      readonly kind: 'registered';
      readonly version: ProductionModelReport;
      readonly decision: { readonly alias?: string | undefined };
    }
  | { readonly kind: 'skipped' };

/**
 * Reports one training run: FINISHED with its test accuracy (and the production gauges when the
 * policy promoted it), SKIPPED (data unchanged), or FAILED, then flushes so a Lambda that is frozen right after training
 * has already sent its series to AMP. Training is not on a request path, so waiting is fine.
 *
 * @example
 * return observeTraining(request.modelName, () => train(request, deps));
 */
export async function observeTraining<T extends ObservableOutcome>(
  model: string,
  work: () => Promise<T>,
  sink: MetricsSink = defaultSink,
): Promise<T> {
  const started = performance.now();
  try {
    const outcome = await work();
    if (outcome.kind === 'skipped') {
      sink.trainingRun({ model, status: 'SKIPPED', durationMs: performance.now() - started });
      return outcome;
    }
    const accuracy = outcome.version.metrics['accuracy'];
    sink.trainingRun({
      model,
      status: 'FINISHED',
      durationMs: performance.now() - started,
      ...(accuracy !== undefined ? { accuracy } : {}),
    });
    if (outcome.decision.alias === 'production') sink.productionModel(outcome.version);
    return outcome;
  } catch (error) {
    sink.trainingRun({ model, status: 'FAILED', durationMs: performance.now() - started });
    throw error;
  } finally {
    await sink.flush();
  }
}
