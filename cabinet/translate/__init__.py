"""The Kazakh and Russian catalogs: extraction, checks, compilation."""
