"""The composition root: the app factory, the CLI, the demo, the pages and test support."""
