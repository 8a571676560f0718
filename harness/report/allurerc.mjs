// Allure 3 configuration for one sdk-harness run: harness/report/generate.py copies this file into the run
// directory and replaces the SETTINGS placeholder below with the run's values (JSON).
// Keys are those of the `Config` type in @allurereport/plugin-api (dist/config.d.ts), Allure 3.18.
const SETTINGS = /*@SETTINGS@*/ null;

const hasLabel = (labels, name, value) => labels.some((label) => label.name === name && label.value === value);

export default {
  name: SETTINGS.name,
  output: SETTINGS.output,
  // One JSONL line per generate: the report's trends and each test's history come from here.
  historyPath: SETTINGS.historyPath,
  plugins: {
    // singleFile: one index.html with data and assets inlined, so the report opens from disk.
    // groupBy: the tree reads platform > scenario > device (labels set by allure_item_labels).
    awesome: {
      options: { singleFile: true, reportName: SETTINGS.name, groupBy: ["parentSuite", "suite", "subSuite"] },
    },
  },
  // Allure 3's report ignores categories.json in the results folder; these rules are what sorts failures.
  categories: { rules: SETTINGS.categories },
  // One report environment per device platform (web / android / ios), matched on the item's `platform` label.
  environments: Object.fromEntries(
    SETTINGS.platforms.map((platform) => [
      platform,
      { name: platform, matcher: ({ labels }) => hasLabel(labels, "platform", platform) },
    ]),
  ),
  // Titles, units and "better" direction of the per-cell metrics in harness-perf.json (the Metrics section).
  performance: SETTINGS.performance,
};
