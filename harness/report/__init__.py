"""Run results and reports: results.json/results.jsonl per run, Allure metadata and report, terminal summary.

Only this package imports Allure (allure_commons).
"""
