"""Pure measurement functions: arrays and timestamps in, numbers out (no Appium, no browser)."""
