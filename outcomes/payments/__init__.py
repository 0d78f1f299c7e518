"""Payment models and rules, periods and their close, settlement, traces and the finance export."""
