"""Administration: policy versions and accounts' roles."""
