"""Jinja templates of the web app (a package only so they install with it)."""
