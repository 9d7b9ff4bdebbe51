"""The pipeline: rules -> records -> scoring -> site -> publish, with the incremental layer beside it."""
