"""The public accountability page: how many complaints and name corrections came and how fast they were answered."""
