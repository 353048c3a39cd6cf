"""Publishing: ratings (the one place they are computed), CSV export, masking of personal
data, and the Datasette site (its metadata, canned queries and plugin)."""
