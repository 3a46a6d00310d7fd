// Prints one plain closing line that CI log readers understand in any language:
// "jest: N passed, N failed, N skipped". Jest's own summary stays as it is.
export default class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const failedSuites = results.numRuntimeErrorTestSuites;
    process.stdout.write(`\njest: ${results.numPassedTests} passed, ${results.numFailedTests + failedSuites} failed, ${skipped} skipped\n`);
  }
}
