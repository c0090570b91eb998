# The EventBridge patterns smgitops reacts to, in one place: the forwarding rules of every account and the
# controller's rules on its bus use these, and a test checks them against the documentation.

locals {
  sagemaker_events = {
    source = ["aws.sagemaker"]
    detail-type = [
      "SageMaker Model Package State Change",
      "SageMaker Model Building Pipeline Execution Status Change",
      "SageMaker Model Building Pipeline Execution Step Status Change",
    ]
  }

  api_calls = {
    source      = ["aws.sagemaker", "aws.scheduler", "aws.events", "aws.sns"]
    detail-type = ["AWS API Call via CloudTrail"]
    detail = {
      eventSource = [
        "sagemaker.amazonaws.com", "scheduler.amazonaws.com", "events.amazonaws.com", "sns.amazonaws.com",
      ]
      eventName = [
        "CreatePipeline", "UpdatePipeline", "DeletePipeline", "UpdateModelPackage",
        "CreateSchedule", "UpdateSchedule", "DeleteSchedule",
        "PutRule", "DeleteRule", "EnableRule", "DisableRule", "PutTargets", "RemoveTargets",
        "DeleteTopic", "SetTopicAttributes", "Subscribe", "Unsubscribe",
      ]
    }
  }
}
