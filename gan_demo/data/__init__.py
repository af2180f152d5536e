"""Training datasets and single photos in and out."""
