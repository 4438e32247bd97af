"""Run one module of gevent's own test suite (``gevent.tests``, shipped in
its wheel) with unittest; print the outcome of each test as one JSON line.

    python gevent_run.py test__event

Used by test_gevent_dropin.py, in a child process per module (gevent's
modules monkey-patch at import), with ``greenlet`` either the real package
or the shim that re-exports ``actors.greenlet``.  Failures' tracebacks go
to stderr.
"""
import json
import sys
import unittest


class Outcomes(unittest.TestResult):
    def __init__(self):
        super().__init__()
        self.outcomes = {}

    def addSuccess(self, test):
        self.outcomes[test.id()] = "passed"

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self.outcomes[test.id()] = "failed"

    def addError(self, test, err):
        super().addError(test, err)
        self.outcomes[test.id()] = "failed"

    def addSkip(self, test, reason):
        self.outcomes[test.id()] = "skipped"

    def addExpectedFailure(self, test, err):
        self.outcomes[test.id()] = "xfail"

    def addUnexpectedSuccess(self, test):
        self.outcomes[test.id()] = "xpass"


def main():
    name = sys.argv[1]
    suite = unittest.defaultTestLoader.loadTestsFromName("gevent.tests." + name)
    result = Outcomes()
    suite.run(result)
    for test, text in result.failures + result.errors:
        print("== %s\n%s" % (test.id(), text[-3000:]), file=sys.stderr)
    print(json.dumps(result.outcomes), flush=True)


if __name__ == "__main__":
    main()
