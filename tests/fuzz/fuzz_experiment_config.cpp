// experiment.json (config/experiment_config.h). Checked: validate and from_json agree; an
// accepted config written with to_json reads back as the same config (the settings-change check
// and --fork compare configs through it).
#include <optional>

#include "config/experiment_config.h"
#include "core/error.h"
#include "fuzz_support.h"
#include "io/json_parse.h"

using namespace tpt;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nlohmann::json doc;
  try {
    doc = io::parse_json_bounded(fuzz::as_text(data, size));
  } catch (const nlohmann::json::parse_error&) {
    return 0;
  }
  const std::vector<FieldIssue> issues = config::ExperimentConfig::validate(doc);
  std::optional<config::ExperimentConfig> c;
  try {
    c.emplace(config::ExperimentConfig::from_json(doc, "experiment.json"));
  } catch (const ValidationError& e) {
    FUZZ_EXPECT(e.issues().size() == issues.size() && !issues.empty(), "validate and from_json disagree");
    return 0;
  }
  FUZZ_EXPECT(issues.empty(), "from_json accepted a config validate refuses");
  const nlohmann::json written = c->to_json();
  const std::vector<FieldIssue> written_issues = config::ExperimentConfig::validate(written);
  FUZZ_EXPECT(written_issues.empty(), "to_json wrote a config that does not validate: " +
                                          (written_issues.empty() ? "" : written_issues[0].to_string()));
  const config::ExperimentConfig back = config::ExperimentConfig::from_json(written, "written");
  FUZZ_EXPECT(back.to_json() == written, "to_json -> from_json changed the config: " + written.dump());
  return 0;
}
