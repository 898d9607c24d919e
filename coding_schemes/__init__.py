"""Coding schemes as data files (one YAML file per scheme); no code lives here."""
