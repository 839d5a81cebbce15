"""The benchmarks: the pages ``manage.py bench`` measures (``pages``) and the roster
``manage.py bench_import`` generates and imports (``roster``)."""
