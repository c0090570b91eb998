"""The step graphs of the three built-in templates, rendered from the example desired state."""

from __future__ import annotations

import json
import re
from pathlib import Path

from state_factory import flatten, parameters, step

from controller.pipelines.parameters import SCRIPTS_DIR

XGBOOST_US_EAST_1 = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"


def definition(rendered, source: str, template: str) -> dict:
    return json.loads(rendered[(source, template)].definition)


def test_batch_inference_steps_types_and_order(rendered) -> None:
    assert flatten(definition(rendered, "prod/churn.yaml", "batch-inference")) == [
        ("", "ResolveBaseline", "Processing"),
        ("", "DataQualityCheck", "QualityCheck"),
        ("", "DataQualityGate", "Processing"),
        ("", "CheckDataQuality", "Condition"),
        ("if:CheckDataQuality", "CreateModel", "Model"),
        ("if:CheckDataQuality", "BatchTransform", "Transform"),
        ("if:CheckDataQuality", "ModelQualityCheck", "Processing"),
        ("else:CheckDataQuality", "DataQualityFailed", "Fail"),
    ]


def test_batch_inference_without_ground_truth_has_no_model_quality_step(rendered) -> None:
    steps = flatten(definition(rendered, "prod/ltv.yaml", "batch-inference"))
    assert [name for _, name, _ in steps] == [
        "ResolveBaseline",
        "DataQualityCheck",
        "DataQualityGate",
        "CheckDataQuality",
        "CreateModel",
        "BatchTransform",
        "DataQualityFailed",
    ]


def test_batch_inference_parameters_and_defaults(rendered) -> None:
    pipeline = rendered[("prod/churn.yaml", "batch-inference")]
    assert parameters(json.loads(pipeline.definition)) == {
        "GroundTruthS3Uri": ("String", "s3://acme-prod/churn/ground-truth/"),
        "InputS3Uri": ("String", "s3://acme-prod/churn/inference/"),
        "InstanceCount": ("Integer", 2),
        "InstanceType": ("String", "ml.m5.xlarge"),
        "MaxDataQualityViolations": ("Integer", 0),
        "ModelPackageArn": ("String", "arn:aws:sagemaker:us-east-1:111111111111:model-package/churn/7"),
        "ModelQualityMaxMse": ("Float", 10.0),
        "OutputS3Uri": ("String", "s3://acme-prod/churn/predictions/"),
    }
    assert dict(pipeline.parameters) == {
        name: value for name, (_, value) in parameters(json.loads(pipeline.definition)).items()
    }
    assert (pipeline.name, pipeline.role, pipeline.template) == (
        "churn-batch-inference",
        "arn:aws:iam::333333333333:role/sagemaker-pipelines",
        "batch-inference",
    )


def test_the_data_quality_check_uses_the_baseline_registered_with_the_version(rendered) -> None:
    document = definition(rendered, "prod/churn.yaml", "batch-inference")
    resolve = step(document, "ResolveBaseline")
    arguments = resolve["Arguments"]["AppSpecification"]["ContainerArguments"]
    assert arguments[:2] == ["--model-package-arn", {"Get": "Parameters.ModelPackageArn"}]
    assert resolve["PropertyFiles"] == [
        {"PropertyFileName": "Baseline", "OutputName": "baseline", "FilePath": "baseline.json"}
    ]
    check = step(document, "DataQualityCheck")
    baseline_file = {"Get": "Steps.ResolveBaseline.PropertyFiles.Baseline"}
    assert check["SuppliedBaselineStatistics"] == {"Std:JsonGet": {"PropertyFile": baseline_file, "Path": "statistics"}}
    assert check["SuppliedBaselineConstraints"] == {
        "Std:JsonGet": {"PropertyFile": baseline_file, "Path": "constraints"}
    }
    assert (check["CheckType"], check["SkipCheck"], check["FailOnViolation"]) == ("DATA_QUALITY", False, False)
    assert check["Arguments"]["ProcessingInputs"][0]["S3Input"]["S3Uri"] == {"Get": "Parameters.InputS3Uri"}


def test_data_quality_violations_above_the_maximum_fail_with_a_message(rendered) -> None:
    document = definition(rendered, "prod/churn.yaml", "batch-inference")
    (condition,) = step(document, "CheckDataQuality")["Arguments"]["Conditions"]
    assert condition == {
        "Type": "LessThanOrEqualTo",
        "LeftValue": {
            "Std:JsonGet": {
                "PropertyFile": {"Get": "Steps.DataQualityGate.PropertyFiles.DataQuality"},
                "Path": "violations",
            }
        },
        "RightValue": {"Get": "Parameters.MaxDataQualityViolations"},
    }
    message = step(document, "DataQualityFailed")["Arguments"]["ErrorMessage"]["Std:Join"]["Values"]
    assert message[0] == "Data quality check failed: "
    assert {"Get": "Parameters.ModelPackageArn"} in message
    assert {"Get": "Parameters.MaxDataQualityViolations"} in message


def test_the_approved_package_is_scored_by_batch_transform(rendered) -> None:
    document = definition(rendered, "prod/churn.yaml", "batch-inference")
    create = step(document, "CreateModel")["Arguments"]
    assert create["PrimaryContainer"] == {"ModelPackageName": {"Get": "Parameters.ModelPackageArn"}}
    assert create["ExecutionRoleArn"] == "arn:aws:iam::333333333333:role/sagemaker-pipelines"
    transform = step(document, "BatchTransform")["Arguments"]
    assert transform["ModelName"] == {"Get": "Steps.CreateModel.ModelName"}
    assert transform["TransformResources"] == {
        "InstanceCount": {"Get": "Parameters.InstanceCount"},
        "InstanceType": {"Get": "Parameters.InstanceType"},
    }
    assert transform["TransformInput"]["DataSource"]["S3DataSource"]["S3Uri"] == {"Get": "Parameters.InputS3Uri"}
    output = transform["TransformOutput"]["S3OutputPath"]["Std:Join"]["Values"]
    assert output == [{"Get": "Parameters.OutputS3Uri"}, {"Get": "Execution.PipelineExecutionId"}]


def test_model_quality_check_compares_predictions_with_ground_truth(rendered) -> None:
    document = definition(rendered, "prod/churn.yaml", "batch-inference")
    check = step(document, "ModelQualityCheck")["Arguments"]
    inputs = {item["InputName"]: item["S3Input"]["S3Uri"] for item in check["ProcessingInputs"]}
    assert inputs["predictions"] == {"Get": "Steps.BatchTransform.TransformOutput.S3OutputPath"}
    assert inputs["ground_truth"] == {"Get": "Parameters.GroundTruthS3Uri"}
    arguments = check["AppSpecification"]["ContainerArguments"]
    assert arguments[arguments.index("--metric") + 1] == "mse"
    maximum = arguments[arguments.index("--max") + 1]
    assert maximum == {"Std:Join": {"On": "", "Values": [{"Get": "Parameters.ModelQualityMaxMse"}]}}
    assert check["AppSpecification"]["ContainerEntrypoint"] == [
        "python3",
        "/opt/ml/processing/input/code/model_quality.py",
    ]


def test_training_steps_types_and_order(rendered) -> None:
    assert flatten(definition(rendered, "dev/churn.yaml", "training")) == [
        ("", "Preprocess", "Processing"),
        ("", "Train", "Training"),
        ("", "CreateCandidateModel", "Model"),
        ("", "PredictTestSet", "Transform"),
        ("", "Evaluate", "Processing"),
        ("", "DataQualityBaseline", "QualityCheck"),
        ("", "CheckRegisterThreshold", "Condition"),
        ("if:CheckRegisterThreshold", "RegisterModel", "RegisterModel"),
        ("else:CheckRegisterThreshold", "RegisterThresholdMissed", "Fail"),
    ]


def test_training_hpo_tunes_instead_of_training(rendered) -> None:
    steps = flatten(definition(rendered, "dev/churn.yaml", "training-hpo"))
    assert [(name, kind) for _, name, kind in steps][:2] == [("Preprocess", "Processing"), ("Tune", "Tuning")]
    assert [name for _, name, _ in steps][2:] == [
        "CreateCandidateModel",
        "PredictTestSet",
        "Evaluate",
        "DataQualityBaseline",
        "CheckRegisterThreshold",
        "RegisterModel",
        "RegisterThresholdMissed",
    ]


def test_training_parameters_and_defaults(rendered) -> None:
    pipeline = rendered[("dev/churn.yaml", "training-hpo")]
    assert parameters(json.loads(pipeline.definition)) == {
        "InstanceType": ("String", "ml.m5.xlarge"),
        "ModelPackageGroup": ("String", "arn:aws:sagemaker:us-east-1:111111111111:model-package-group/churn"),
        "RegisterMaxMse": ("Float", 10.0),
        "TrainingInputS3Uri": ("String", "s3://acme-dev/churn/training/"),
        "TuningMaxJobs": ("Integer", 8),
        "TuningMaxParallelJobs": ("Integer", 2),
    }
    plain = json.loads(rendered[("dev/churn.yaml", "training")].definition)
    assert set(parameters(plain)) == {"InstanceType", "ModelPackageGroup", "RegisterMaxMse", "TrainingInputS3Uri"}
    assert (pipeline.name, pipeline.role) == ("churn-training", "arn:aws:iam::111111111111:role/sagemaker-pipelines")


def test_tuning_takes_ranges_objective_and_job_limits_from_the_file(rendered) -> None:
    document = definition(rendered, "dev/churn.yaml", "training-hpo")
    config = step(document, "Tune")["Arguments"]["HyperParameterTuningJobConfig"]
    assert config["HyperParameterTuningJobObjective"] == {"MetricName": "validation:mse", "Type": "Minimize"}
    assert config["ResourceLimits"] == {
        "MaxNumberOfTrainingJobs": {"Get": "Parameters.TuningMaxJobs"},
        "MaxParallelTrainingJobs": {"Get": "Parameters.TuningMaxParallelJobs"},
    }
    ranges = config["ParameterRanges"]
    assert ranges["IntegerParameterRanges"] == [
        {"Name": "max_depth", "MinValue": "2", "MaxValue": "8", "ScalingType": "Auto"}
    ]
    assert ranges["ContinuousParameterRanges"] == [
        {"Name": "eta", "MinValue": "0.05", "MaxValue": "0.5", "ScalingType": "Auto"}
    ]
    assert parameters(document)["TuningMaxJobs"] == ("Integer", 8)
    assert parameters(document)["TuningMaxParallelJobs"] == ("Integer", 2)


def test_the_best_tuning_job_model_is_evaluated_and_registered(rendered) -> None:
    document = definition(rendered, "dev/churn.yaml", "training-hpo")
    best = {"Get": "Steps.Tune.TrainingJobSummaries[0].TrainingJobName"}
    candidate = step(document, "CreateCandidateModel")["Arguments"]["PrimaryContainer"]["ModelDataUrl"]
    registered = step(document, "RegisterModel")["Arguments"]["InferenceSpecification"]["Containers"][0]["ModelDataUrl"]
    assert best in candidate["Std:Join"]["Values"]
    assert registered == candidate


def test_registration_is_conditional_on_the_threshold_and_says_what_missed(rendered) -> None:
    document = definition(rendered, "dev/churn.yaml", "training")
    (condition,) = step(document, "CheckRegisterThreshold")["Arguments"]["Conditions"]
    metric = {
        "Std:JsonGet": {
            "PropertyFile": {"Get": "Steps.Evaluate.PropertyFiles.Evaluation"},
            "Path": "regression_metrics.mse.value",
        }
    }
    assert condition == {
        "Type": "LessThanOrEqualTo",
        "LeftValue": metric,
        "RightValue": {"Get": "Parameters.RegisterMaxMse"},
    }
    message = step(document, "RegisterThresholdMissed")["Arguments"]["ErrorMessage"]["Std:Join"]["Values"]
    assert message == [
        "Model not registered: mse ",
        metric,
        " must be",
        " <= RegisterMaxMse (",
        {"Get": "Parameters.RegisterMaxMse"},
        ")",
    ]
    assert parameters(document)["RegisterMaxMse"] == ("Float", 10.0)


def test_the_registered_version_carries_metrics_baselines_and_pending_status(rendered) -> None:
    document = definition(rendered, "dev/churn.yaml", "training")
    register = step(document, "RegisterModel")["Arguments"]
    assert register["ModelApprovalStatus"] == "PendingManualApproval"
    assert register["ModelPackageGroupName"] == {"Get": "Parameters.ModelPackageGroup"}
    assert register["InferenceSpecification"]["Containers"][0]["Image"] == XGBOOST_US_EAST_1
    quality = register["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"]["Std:Join"]["Values"]
    assert quality == [
        {"Get": "Steps.Evaluate.ProcessingOutputConfig.Outputs['evaluation'].S3Output.S3Uri"},
        "evaluation.json",
    ]
    drift = register["DriftCheckBaselines"]["ModelDataQuality"]
    assert drift["Statistics"]["S3Uri"] == {"Get": "Steps.DataQualityBaseline.BaselineUsedForDriftCheckStatistics"}
    assert drift["Constraints"]["S3Uri"] == {"Get": "Steps.DataQualityBaseline.BaselineUsedForDriftCheckConstraints"}
    baseline = step(document, "DataQualityBaseline")
    assert (baseline["SkipCheck"], baseline["RegisterNewBaseline"]) == (True, True)
    inputs = baseline["Arguments"]["ProcessingInputs"]
    assert inputs[0]["S3Input"]["S3Uri"] == {
        "Get": "Steps.Preprocess.ProcessingOutputConfig.Outputs['baseline'].S3Output.S3Uri"
    }


def test_evaluate_writes_the_report_the_condition_reads(rendered) -> None:
    document = definition(rendered, "dev/churn.yaml", "training")
    evaluate = step(document, "Evaluate")
    assert evaluate["PropertyFiles"] == [
        {"PropertyFileName": "Evaluation", "OutputName": "evaluation", "FilePath": "evaluation.json"}
    ]
    arguments = evaluate["Arguments"]["AppSpecification"]["ContainerArguments"]
    assert arguments[arguments.index("--report") + 1] == "/opt/ml/processing/output/evaluation/evaluation.json"
    assert arguments[arguments.index("--problem-type") + 1] == "regression"


def test_processing_code_is_content_addressed_under_the_artifacts_prefix(rendered) -> None:
    pipeline = rendered[("prod/churn.yaml", "batch-inference")]
    scripts = sorted(path.name for path in SCRIPTS_DIR.glob("*.py"))
    assert sorted(Path(item.local_path).name for item in pipeline.artifacts) == scripts
    (prefix,) = {item.s3_uri.rsplit("/", 1)[0] for item in pipeline.artifacts}
    assert prefix.startswith("s3://acme-prod-mlops/smgitops/code/")
    assert len(prefix.rsplit("/", 1)[1]) == 64
    for item in pipeline.artifacts:
        assert item.s3_uri == f"{prefix}/{Path(item.local_path).name}"
    code = step(json.loads(pipeline.definition), "ResolveBaseline")["Arguments"]["ProcessingInputs"][-1]
    assert code["InputName"] == "code"
    assert code["S3Input"]["S3Uri"] == prefix + "/"


def test_definitions_have_no_timestamps_or_random_names(rendered) -> None:
    timestamp = re.compile(r"\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}")
    random_hex = re.compile(r"\b[0-9a-f]{32}\b")
    for pipeline in rendered.values():
        document = json.loads(pipeline.definition)
        generated = {"ProcessingJobName", "TrainingJobName", "TransformJobName", "HyperParameterTuningJobName"}
        assert not generated & set(_keys(document))
        for value in _strings(document):
            assert not timestamp.search(value), value
            assert not random_hex.search(value), value
            if value.startswith("s3://"):
                assert value.startswith("s3://acme-"), value


def _keys(node):
    if isinstance(node, dict):
        for key, value in node.items():
            yield key
            yield from _keys(value)
    elif isinstance(node, list):
        for value in node:
            yield from _keys(value)


def _strings(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield key
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)
