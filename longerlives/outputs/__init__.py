"""Writers for the files a run leaves behind (contract run-outputs-v1)."""
