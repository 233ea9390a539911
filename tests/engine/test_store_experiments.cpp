// Tests of the experiment store's small tables: experiments, rounds and problems, each
// round's metrics, and the event log.
#include <cmath>
#include <filesystem>
#include <string>

#include "check.h"
#include "store/database.h"
#include "store/store.h"
#include "store_test_support.h"

using namespace tpt::store;
using namespace tpt::store::test_support;

// ---- round trips -----------------------------------------------------------------------

TPT_TEST(store, experiments_rounds_and_problems_round_trip) {
  Store store(fresh_path());
  auto experiment = store.create_experiment({0, "exp", R"({"k":4})", "2024-05-01T00:00:00.000Z", "new", ""});
  auto found = store.find_experiment("exp");
  VERIFY(found.has_value());
  COMPARE(found->id, experiment);
  COMPARE(found->config_json, std::string(R"({"k":4})"));
  COMPARE(found->created_at, std::string("2024-05-01T00:00:00.000Z"));
  VERIFY(!store.find_experiment("nope").has_value());
  COMPARE(store.list_experiments().size(), size_t{1});
  VERIFY_THROWS_WITH(store.create_experiment({0, "exp", "{}", "", "new", ""}), "UNIQUE");

  auto r1 = store.ensure_round(experiment, 1);
  auto r0 = store.ensure_round(experiment, 0);
  COMPARE(store.ensure_round(experiment, 1), r1);  // idempotent, for resume
  store.set_round_state(r1, RoundState::Train);
  store.set_round_model_path(r1, "models/round-1");
  auto rounds = store.list_rounds(experiment);
  COMPARE(rounds.size(), size_t{2});
  COMPARE(rounds[0].id, r0);
  COMPARE(rounds[0].state, RoundState::Pending);
  COMPARE(rounds[1].round_index, 1);
  COMPARE(rounds[1].state, RoundState::Train);
  // A model folder is read as a path in the experiment's folder (the database's), whether it
  // was given relative or absolute; inside the folder it is stored relative, so a copied
  // experiment reads its own models.
  const std::string folder = std::filesystem::path(store.path()).parent_path().string();
  COMPARE(rounds[1].model_path, folder + "/models/round-1");
  store.set_round_model_path(r1, folder + "/models/round-1");
  auto raw = store.database().query("SELECT model_path FROM rounds WHERE id = ?1", "raw");
  raw.bind(1, r1);
  VERIFY(raw.step());
  COMPARE(raw.text(0), std::string("models/round-1"));
  // A folder outside the experiment (a base model elsewhere) stays as given.
  store.set_round_model_path(r0, "/opt/models/base");
  COMPARE(store.get_round(r0)->model_path, std::string("/opt/models/base"));
  VERIFY(!rounds[1].created_at.empty());
  VERIFY_THROWS_WITH(store.set_round_state(999, RoundState::Done), "no such round");

  auto ids = store.upsert_problems({{0, experiment, "train", "a", "Q a?", "sol a", "1"},
                                    {0, experiment, "test", "a", "Q a test?", "", "2"}});
  COMPARE(ids.size(), size_t{2});
  VERIFY(ids[0] != ids[1]);  // the split is part of the key
  auto again = store.upsert_problems({{0, experiment, "train", "a", "Q a, reworded?", "sol", "1"}});
  COMPARE(again.front(), ids[0]);
  auto problem = store.get_problem(ids[0]);
  VERIFY(problem.has_value());
  COMPARE(problem->question, std::string("Q a, reworded?"));
  COMPARE(problem->split, std::string("train"));
  COMPARE(problem->gold, std::string("1"));
}

TPT_TEST(store, metrics_round_trip_per_round_and_a_put_replaces_the_value) {
  Store store(fresh_path());
  auto experiment = store.create_experiment({0, "exp", "{}", "", "new", ""});
  auto r0 = store.ensure_round(experiment, 0);
  auto r1 = store.ensure_round(experiment, 1);
  store.put_metrics(r0, {{"pass@1", 0.25}, {"pass@4", 0.5}});
  store.put_metric(r1, "pass@1", 0.3);
  store.put_metric(r1, "pass@1", 0.35);
  store.put_metric(r1, "train/loss", std::nan(""));
  auto m0 = store.get_metrics(r0);
  COMPARE(m0.size(), size_t{2});
  COMPARE(m0["pass@4"], 0.5);
  auto m1 = store.get_metrics(r1);
  COMPARE(m1["pass@1"], 0.35);
  VERIFY(std::isnan(m1["train/loss"]));
}

TPT_TEST(store, events_are_logged_and_listed_after_a_given_id) {
  Store store(fresh_path());
  auto experiment = store.create_experiment({0, "exp", "{}", "", "new", ""});
  auto round = store.ensure_round(experiment, 1);
  auto e1 = store.log_event({0, experiment, "", "info", "think", "started", round});
  auto e2 = store.log_event({0, experiment, "2024-01-01T00:00:00.000Z", "error", "train", "OOM", std::nullopt});
  auto all = store.list_events(experiment);
  COMPARE(all.size(), size_t{2});
  COMPARE(all[0].id, e1);
  COMPARE(all[0].phase, std::string("think"));
  VERIFY(all[0].round_id == std::optional<std::int64_t>(round));
  VERIFY(!all[0].time.empty());
  COMPARE(all[1].level, std::string("error"));
  COMPARE(all[1].message, std::string("OOM"));
  VERIFY(!all[1].round_id.has_value());
  auto later = store.list_events(experiment, e1);
  COMPARE(later.size(), size_t{1});
  COMPARE(later[0].id, e2);
  VERIFY_THROWS_WITH(store.log_event({0, experiment, "", "shout", "x", "y", std::nullopt}), "CHECK");
}
