"""Models: see the component."""
