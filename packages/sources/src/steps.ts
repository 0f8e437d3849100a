/**
 * Parsers that can take a while on a large document are written as
 * generators that yield between slices of work (`parseSteps`): the pipeline
 * lets the service answer requests in between, everything else runs them to
 * the end at once with `runSteps`.
 */
export function runSteps<T>(steps: Generator<void, T>): T {
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}
