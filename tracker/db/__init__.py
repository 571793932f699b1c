"""Storage: the SQLAlchemy models, the engine (URL, pragmas, migrate on open) and the hash chain."""
