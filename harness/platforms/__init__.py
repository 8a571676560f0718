"""Device platforms: what differs between web, Android and iOS devices behind one interface (base.DevicePlatform).

Sits between devices/ + capture/ (Appium sessions, adb, frame sources) and scenario/ (the step runner), so the
runner's step handlers never ask which platform they run on.
"""
