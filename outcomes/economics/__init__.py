"""The economic model (SPEC 4.8): liability configuration, forecasts and forecast against actual."""
