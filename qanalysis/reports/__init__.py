"""Reports: one notebook a region, run by papermill in worker processes."""
