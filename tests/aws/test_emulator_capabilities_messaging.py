"""What the emulator does with SNS, S3, SQS and DynamoDB, as the topic kind, artifact uploads and the service
(event queue, lease) call them. `GAP:` marks a difference from AWS and how to stay right on both."""

from __future__ import annotations

import pytest

from controller.aws.emulator import create_bucket
from controller.aws.errors import error_code, is_not_found
from controller.desired.model import Account

STAGING = Account("222222222222", "us-east-1", "arn:aws:iam::222222222222:role/smgitops-deploy")
PROD = Account("333333333333", "us-east-1", "arn:aws:iam::333333333333:role/smgitops-deploy")
TOPIC_ARN = "arn:aws:sns:us-east-1:333333333333:churn-alerts"
MANAGED = [{"Key": "smgitops:managed", "Value": "true"}]

pytestmark = pytest.mark.aws


@pytest.fixture
def sns(aws_one_attempt):
    """Topic `churn-alerts` in prod, tagged, with one email subscription."""
    client = aws_one_attempt.client("sns", PROD)
    client.create_topic(Name="churn-alerts", Tags=MANAGED, Attributes={"DisplayName": "Churn"})
    client.subscribe(TopicArn=TOPIC_ARN, Protocol="email", Endpoint="churn-team@example.com")
    return client


def test_topics_are_listed_by_arn_only_and_carry_their_tags(sns, aws_one_attempt):
    topics = sns.list_topics()["Topics"]

    assert topics == [{"TopicArn": TOPIC_ARN}]  # as in AWS: names and tags need one more call each
    assert sns.list_tags_for_resource(ResourceArn=TOPIC_ARN)["Tags"] == MANAGED
    assert sns.get_topic_attributes(TopicArn=TOPIC_ARN)["Attributes"]["DisplayName"] == "Churn"
    assert sns.can_paginate("list_topics") and sns.can_paginate("list_subscriptions_by_topic")
    assert aws_one_attempt.client("sns", STAGING).list_topics()["Topics"] == []


def test_create_topic_again_is_idempotent_even_with_other_tags(sns):
    again = sns.create_topic(Name="churn-alerts", Tags=[{"Key": "smgitops:managed", "Value": "other"}])

    # GAP: AWS refuses CreateTopic of an existing topic with different tags (InvalidParameter); the emulator
    # returns the topic and keeps the old tags. Workaround: create without tags, then TagResource.
    assert again["TopicArn"] == TOPIC_ARN
    assert sns.list_tags_for_resource(ResourceArn=TOPIC_ARN)["Tags"] == MANAGED


def test_tag_and_untag_a_topic(sns):
    sns.tag_resource(ResourceArn=TOPIC_ARN, Tags=[{"Key": "smgitops:managed", "Value": "yes"}])
    sns.tag_resource(ResourceArn=TOPIC_ARN, Tags=[{"Key": "smgitops:revision", "Value": "abc"}])
    sns.untag_resource(ResourceArn=TOPIC_ARN, TagKeys=["smgitops:revision"])

    assert sns.list_tags_for_resource(ResourceArn=TOPIC_ARN)["Tags"] == [{"Key": "smgitops:managed", "Value": "yes"}]


def test_email_subscriptions_are_confirmed_at_once(sns):
    again = sns.subscribe(TopicArn=TOPIC_ARN, Protocol="email", Endpoint="churn-team@example.com")
    subscriptions = sns.list_subscriptions_by_topic(TopicArn=TOPIC_ARN)["Subscriptions"]

    assert len(subscriptions) == 1
    assert again["SubscriptionArn"] == subscriptions[0]["SubscriptionArn"]  # subscribing twice: same one
    assert set(subscriptions[0]) == {"SubscriptionArn", "Owner", "Protocol", "Endpoint", "TopicArn"}
    assert (subscriptions[0]["Protocol"], subscriptions[0]["Endpoint"]) == ("email", "churn-team@example.com")
    # GAP: in AWS an email subscription stays "PendingConfirmation" (that is its SubscriptionArn in listings,
    # and it cannot be unsubscribed) until the recipient confirms. The emulator confirms at once. Workaround:
    # match subscriptions by (protocol, endpoint) and skip Unsubscribe for "PendingConfirmation".
    assert subscriptions[0]["SubscriptionArn"].startswith(TOPIC_ARN + ":")
    attributes = sns.get_subscription_attributes(SubscriptionArn=again["SubscriptionArn"])["Attributes"]
    assert attributes["PendingConfirmation"] == "false"


def test_unsubscribe_and_delete_topic(sns):
    subscription = sns.list_subscriptions_by_topic(TopicArn=TOPIC_ARN)["Subscriptions"][0]["SubscriptionArn"]

    sns.unsubscribe(SubscriptionArn=subscription)
    assert sns.list_subscriptions_by_topic(TopicArn=TOPIC_ARN)["Subscriptions"] == []
    sns.delete_topic(TopicArn=TOPIC_ARN)
    sns.delete_topic(TopicArn=TOPIC_ARN)  # deleting a missing topic succeeds, as in AWS

    assert sns.list_topics()["Topics"] == []
    for call in (sns.get_topic_attributes, sns.list_subscriptions_by_topic):
        with pytest.raises(Exception) as missing:
            call(TopicArn=TOPIC_ARN)
        assert (error_code(missing.value), is_not_found(missing.value)) == ("NotFound", True)
    with pytest.raises(Exception) as tags:
        sns.list_tags_for_resource(ResourceArn=TOPIC_ARN)
    assert (error_code(tags.value), is_not_found(tags.value)) == ("ResourceNotFound", True)


def test_s3_put_head_and_list(aws_one_attempt):
    create_bucket(aws_one_attempt, STAGING, "acme-staging-mlops")
    s3 = aws_one_attempt.client("s3", STAGING)
    key = "smgitops/code/3f2a.py"

    s3.put_object(Bucket="acme-staging-mlops", Key=key, Body=b"print('hi')\n", Metadata={"sha256": "3f2a"})
    head = s3.head_object(Bucket="acme-staging-mlops", Key=key)
    for number in range(3):
        s3.put_object(Bucket="acme-staging-mlops", Key=f"smgitops/code/{number}.py", Body=b"")
    page = s3.list_objects_v2(Bucket="acme-staging-mlops", Prefix="smgitops/code/", MaxKeys=2)

    assert (head["ContentLength"], head["Metadata"]) == (12, {"sha256": "3f2a"})
    assert (page["KeyCount"], page["IsTruncated"]) == (2, True)
    assert "NextContinuationToken" in page
    assert s3.can_paginate("list_objects_v2")
    with pytest.raises(Exception) as missing:
        s3.head_object(Bucket="acme-staging-mlops", Key="smgitops/code/none.py")
    assert (error_code(missing.value), is_not_found(missing.value)) == ("404", True)


def test_bucket_names_are_global_and_objects_are_readable_from_any_account(aws_one_attempt):
    create_bucket(aws_one_attempt, STAGING, "acme-staging-mlops")
    aws_one_attempt.client("s3", STAGING).put_object(Bucket="acme-staging-mlops", Key="a", Body=b"x")

    with pytest.raises(Exception) as taken:
        create_bucket(aws_one_attempt, PROD, "acme-staging-mlops")
    listed = aws_one_attempt.client("s3", PROD).list_objects_v2(Bucket="acme-staging-mlops")

    assert error_code(taken.value) == "BucketAlreadyExists"  # one namespace for every account, as in AWS
    # GAP: no bucket policy is checked: prod reads staging's objects. Use distinct bucket names per account.
    assert [item["Key"] for item in listed["Contents"]] == ["a"]


def test_sqs_send_receive_delete(aws_one_attempt):
    sqs = aws_one_attempt.client("sqs", STAGING)
    url = sqs.create_queue(QueueName="smgitops-events", Attributes={"VisibilityTimeout": "60"})["QueueUrl"]

    sqs.send_message(QueueUrl=url, MessageBody='{"key": ["staging", "churn"]}')
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)["Messages"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=messages[0]["ReceiptHandle"])

    assert [message["Body"] for message in messages] == ['{"key": ["staging", "churn"]}']
    assert "Messages" not in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0)
    with pytest.raises(Exception) as missing:
        sqs.get_queue_url(QueueName="nope")
    assert error_code(missing.value) == "AWS.SimpleQueueService.NonExistentQueue"
    assert is_not_found(missing.value)


def test_dynamodb_conditional_put_for_a_lease(aws_one_attempt):
    dynamodb = aws_one_attempt.client("dynamodb", STAGING)
    dynamodb.create_table(
        TableName="smgitops-lease",
        KeySchema=[{"AttributeName": "name", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "name", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )

    def take(holder: str, *, now: int) -> None:
        dynamodb.put_item(
            TableName="smgitops-lease",
            Item={"name": {"S": "leader"}, "holder": {"S": holder}, "expires": {"N": str(now + 30)}},
            ConditionExpression="attribute_not_exists(#name) OR expires < :now OR holder = :holder",
            ExpressionAttributeNames={"#name": "name"},
            ExpressionAttributeValues={":now": {"N": str(now)}, ":holder": {"S": holder}},
        )

    take("replica-a", now=100)
    with pytest.raises(Exception) as held:
        take("replica-b", now=110)
    take("replica-b", now=200)

    assert error_code(held.value) == "ConditionalCheckFailedException"
    item = dynamodb.get_item(TableName="smgitops-lease", Key={"name": {"S": "leader"}}, ConsistentRead=True)
    assert item["Item"]["holder"] == {"S": "replica-b"}
