"""Points (党员积分): the scheme and scoring (``scheme``), the ledger's writes
(``services``) and reads (``selectors``)."""
