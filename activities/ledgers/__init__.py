"""The township's working ledgers (工作台账), one package each, all on one pattern.

Each ledger (``pledges`` 公开承诺, ``duty`` 设岗定责, …) has the same five
modules: ``services`` (writes, which also rewrite the derived points),
``selectors`` (the scoped list and the yearly summary by child), ``forms``,
``views`` (list with Excel and the paper print, the branch's form, one
record's page with its steps, the summary) and ``exports``. What they share
sits here: ``selectors`` (the summary by child), ``views`` (pickers and
parameters) and ``services`` (date checks). Models are in
``activities.models.ledgers``, derived points in ``activities.points.ledgers``.
"""
