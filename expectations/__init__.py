"""Great Expectations gates: the project in gx/ (written by define.py), the marts' frames and the runner.

This package imports neither paperpulse nor extract: callers hand it DataFrames, a results folder and
the suites' parameters."""
