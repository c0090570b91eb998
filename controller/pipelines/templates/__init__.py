"""The built-in pipeline templates: `training`, `training-hpo` and `batch-inference`.

Each module defines `build(context) -> list of steps`, the same interface a team's own template implements
(see docs/pipeline-templates.md). They are loaded by the render worker only, so they may import the SageMaker
SDK freely.
"""
