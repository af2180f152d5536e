"""Quality metrics and the evaluation driver."""
