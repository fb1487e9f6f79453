"""Sub-commands of the tipkg command line (one module each)."""
