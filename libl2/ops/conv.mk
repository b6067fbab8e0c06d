# The conv family: sources (libl2_libl2_la_SOURCES += ...) and tests (C_TESTS += ...).
