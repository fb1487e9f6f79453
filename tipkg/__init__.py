"""tipkg: a knowledge graph of UN instruments on trafficking in persons."""
__version__ = "0.1.0"
