"""The award decision as a legal act: its document, delivery, rectification, withdrawal, appeals."""
