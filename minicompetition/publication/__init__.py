"""OCDS publication: releases built from the outbox, records, bulk packages and the public change feed."""
