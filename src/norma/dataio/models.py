"""Models of the dataio app."""
