"""EDF, EDF+, BDF and BDF+ files: lazy reading, annotations, and xarray views of them."""
