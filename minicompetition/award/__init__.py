"""Evaluation runs, results, price to win on request, award decisions and contracts."""
