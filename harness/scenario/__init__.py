"""Scenario execution: the step vocabulary mapped onto a candidate app's controls, and the measurements taken."""
