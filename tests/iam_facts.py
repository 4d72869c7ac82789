"""IAM facts of the template that more than one test tier relies on."""

#: What Step Functions needs, with the state machine's role, to deliver its execution logs to CloudWatch
#: Logs (Logging in the template): CloudWatch Logs log delivery supports no resource-level permissions, so
#: these are granted on "*", and the local cloud, which delivers no state machine logs, never exercises them.
LOG_DELIVERY_ACTIONS = frozenset(
    {
        "logs:CreateLogDelivery",
        "logs:GetLogDelivery",
        "logs:UpdateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:DescribeResourcePolicies",
        "logs:DescribeLogGroups",
    }
)
