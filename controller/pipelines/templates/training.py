"""Built-in `training` template: one XGBoost training job, then the shared evaluate/baseline/register graph.

See `controller.pipelines.templates._training` for the steps after training.
"""

from __future__ import annotations

from typing import Any

from sagemaker.core.training.configs import InputData
from sagemaker.mlops.workflow.steps import TrainingStep
from sagemaker.train.model_trainer import ModelTrainer

from controller.pipelines.context import TemplateContext
from controller.pipelines.templates._training import build_training


def build(context: TemplateContext) -> list[Any]:
    return build_training(context, train)


def train(context: TemplateContext, trainer: ModelTrainer, inputs: list[InputData]) -> tuple[Any, Any]:
    step = TrainingStep("Train", step_args=trainer.train(input_data_config=inputs))
    return step, step.properties.ModelArtifacts.S3ModelArtifacts
