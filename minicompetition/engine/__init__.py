"""The pure scoring and allocation engine: types, scoring, the solve, explanations, price to win."""
