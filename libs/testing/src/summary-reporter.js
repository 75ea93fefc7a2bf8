// Prints one closing line that CI (and a human) can read without knowing jest:
// "tests: N passed, N failed, N skipped", then lists the suites that skipped themselves
// (for instance the EventStoreDB contract run without ESDB_CONNECTION_STRING).
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skippedNotes = [];
    for (const suite of results.testResults) {
      for (const entry of suite.console || []) {
        if (String(entry.message).startsWith('SKIPPED:')) skippedNotes.push(entry.message);
      }
    }
    for (const note of new Set(skippedNotes)) process.stdout.write(`${note}\n`);
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    process.stdout.write(
      `tests: ${results.numPassedTests} passed, ${failed} failed, ${results.numPendingTests + results.numTodoTests} skipped\n`,
    );
  }
}
module.exports = SummaryReporter;
