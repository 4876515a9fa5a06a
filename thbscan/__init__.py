"""thbscan: composition root (command line, demo, wiring)."""
