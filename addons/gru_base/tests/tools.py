# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Helpers shared by the tests of the GRU modules and of tests/."""
import os


def external_skip(what, variable):
    """Return why the tests of an external system (OCR, IMAP, SIP, a
    browser...) do not run here, or None when they run.

    They run once, on the PostgreSQL run of the suite (scripts/test runs
    SQLite then PostgreSQL); the environment variable set to 1 runs them
    on SQLite too."""
    if (os.environ.get('GRU_TEST_BACKEND', 'sqlite') != 'postgresql'
            and os.environ.get(variable) != '1'):
        return ('%s runs once, on the PostgreSQL run of the suite '
            '(%s=1 runs it on SQLite)' % (what, variable))
    return None
