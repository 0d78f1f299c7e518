"""Imports every table so that SQLModel's metadata is complete (autogenerate and the drift test)."""


def load_all_models() -> None:
    """Import the model modules of every domain."""
    import minicompetition.award_models  # noqa: F401
    import minicompetition.models  # noqa: F401
    import procurement.core.models  # noqa: F401
    import procurement.ring.models  # noqa: F401
    import registry.models  # noqa: F401
