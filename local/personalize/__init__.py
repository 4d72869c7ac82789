"""A faithful Amazon Personalize control plane for the local cloud (moto implements only schemas).

Usage, inside or before ``mock_aws()``::

    emulator = PersonalizeEmulator(clock, Timeline.instant(), fail_steps={"import"})
    install(emulator)
    boto3.client("personalize").create_dataset_group(name="demo")

Statuses progress on the simulated clock (``local.clock.SimClock``), imports read the CSV files from
moto S3, training applies the service minimums to the imported data and GetSolutionMetrics scores a
popularity baseline on a held-out split. Errors carry the service's codes and messages.
"""

from .models import Listener, PersonalizeEmulator, Quotas
from .responses import OPERATIONS, install, installed, uninstall
from .timeline import STEPS, Phase, Timeline

__all__ = [
    "OPERATIONS",
    "STEPS",
    "Listener",
    "PersonalizeEmulator",
    "Phase",
    "Quotas",
    "Timeline",
    "install",
    "installed",
    "uninstall",
]
