"""党费: dues bases and rules, the monthly ledger, receipts, arrears and 上缴."""
