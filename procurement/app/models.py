"""Imports every table so that SQLModel's metadata is complete (autogenerate and the drift test)."""

import importlib

MODEL_MODULES = (
    "procurement.core.models",
    "procurement.ring.models",
    "registry.models",
    "registry.webhooks.models",
    "minicompetition.tender.models",
    "minicompetition.award.models",
    "minicompetition.remedies.models",
    "minicompetition.publication.models",
    "outcomes.tracking.models",
    "outcomes.flowthrough.models",
    "outcomes.payments.models",
    "outcomes.notifications.models",
    "outcomes.economics.models",
)


def load_all_models() -> None:
    """Import the model modules of every domain."""
    for name in MODEL_MODULES:
        importlib.import_module(name)
