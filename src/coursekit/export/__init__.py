"""Notebook to offline HTML: slides and handouts, assets, PDF."""
