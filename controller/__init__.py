"""smgitops: a GitOps controller for Amazon SageMaker batch-inference MLOps."""

__version__ = "0.1.0"
