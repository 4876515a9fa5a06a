"""Language handling, normalisation, extraction and scoring for thbscan."""
