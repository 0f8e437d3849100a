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

/**
 * Runs `steps` to the end inside an async function (a source's fetch), letting
 * the event loop run between slices: the service's requests and timers are
 * answered while a large archive is read.
 */
export async function runStepsAsync<T>(steps: Generator<void, T>): Promise<T> {
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
