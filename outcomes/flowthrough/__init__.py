"""The flow-through metric, its SQL, reports and chart, and the register's performance."""
