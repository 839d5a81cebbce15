"""结对帮扶: members and units paired with households in difficulty or with villages,
and the visits made to them (services, selectors, forms, views, exports)."""
