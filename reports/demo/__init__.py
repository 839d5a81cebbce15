"""Demo data and its builders: ``seed_demo``, and the data ``bench`` and ``bench_import`` run on.

Lives in reports/ because it spans every app (tree, members, meetings,
points), and reports is the one app that already depends on all of them.
"""

from reports.demo.builder import (
    DEMO_PASSWORD,
    SCALES,
    DemoBuilder,
    database_is_empty,
    demo_logins_text,
    ensure_throwaway_database,
)

__all__ = [
    "DEMO_PASSWORD",
    "SCALES",
    "DemoBuilder",
    "database_is_empty",
    "demo_logins_text",
    "ensure_throwaway_database",
]
