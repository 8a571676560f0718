"""`harness doctor`: for each device in devices.yaml, what it needs on this machine, one line per check with
PASS/FAIL and the fix. Exit 0 when all hold, 1 otherwise, 2 for a bad devices.yaml."""

from harness.doctor.checks import Check, DeviceReport, Doctor, format_reports
from harness.doctor.probes import Probes, SystemProbes

__all__ = ["Check", "DeviceReport", "Doctor", "Probes", "SystemProbes", "format_reports"]
