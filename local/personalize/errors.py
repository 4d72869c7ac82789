"""The errors Amazon Personalize returns, in its wire format (HTTP 400, ``{"__type", "message"}``).

Messages copy the service's wording where it is known (personalize-facts.md §3, §6, §9, §11); the others
follow the same style and say what was wrong and with which resource, so a failing test reads like the
real error a user would get.
"""

from __future__ import annotations

from moto.core.exceptions import JsonRESTError


class PersonalizeError(JsonRESTError):
    """Base of every modelled error; the class name is the error code botocore exposes."""

    def __init__(self, message: str) -> None:
        super().__init__(type(self).__name__, message)


class InvalidInputException(PersonalizeError):
    pass


class InvalidNextTokenException(PersonalizeError):
    pass


class LimitExceededException(PersonalizeError):
    pass


class ResourceAlreadyExistsException(PersonalizeError):
    def __init__(self, arn: str) -> None:
        super().__init__(f"Another resource with Arn {arn} already exists.")


class ResourceInUseException(PersonalizeError):
    pass


class ResourceNotFoundException(PersonalizeError):
    def __init__(self, arn: str) -> None:
        super().__init__(f"Resource Arn {arn} does not exist.")


class TooManyTagsException(PersonalizeError):
    pass


class TooManyTagKeysException(PersonalizeError):
    pass


class UnknownOperationException(PersonalizeError):
    """What the JSON protocol answers for an operation the endpoint does not serve; here, one the emulator
    does not implement (yet), so a handler calling it fails the way a botocore caller can handle."""
