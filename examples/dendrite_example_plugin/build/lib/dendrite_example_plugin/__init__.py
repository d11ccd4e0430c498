"""An example dendrite plugin: one module per extension point, each found by an entry point."""
