"""The seed items, shipped inside the package as tracker.seeds."""
