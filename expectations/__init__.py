"""Great Expectations gates: the suites and the runner that stops a run on a failed check."""
