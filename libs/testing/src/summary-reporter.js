// Prints one closing line that CI (and a human) can read without knowing jest:
// "tests: N passed, N failed, N skipped", after listing the suites that skipped themselves
// (for instance the EventStoreDB contract run without ESDB_CONNECTION_STRING) and the fault
// tier's summary lines (test/faults: "FAULTS <mode>: operations=..."). Jest clears
// each file's console output before onRunComplete, so the notes are collected per file.
class SummaryReporter {
  constructor() {
    this.skippedNotes = new Set();
  }

  onTestFileResult(_test, result) {
    for (const entry of result.console || []) {
      const message = String(entry.message);
      if (message.startsWith('SKIPPED:')) this.skippedNotes.add(message);
      if (message.startsWith('FAULTS ')) this.skippedNotes.add(message.split('\n')[0]);
    }
  }

  onRunComplete(_contexts, results) {
    for (const note of this.skippedNotes) process.stdout.write(`${note}\n`);
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const skipped = results.numPendingTests + results.numTodoTests;
    process.stdout.write(`tests: ${results.numPassedTests} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
module.exports = SummaryReporter;
