"""Devices: capabilities per platform and connection, the Appium server lifecycle, sessions."""
