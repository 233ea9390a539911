// Tests of annotations in the experiment store: every one needs a label, a sample has one
// current label (a relabel replaces it, undo restores the one before, the history stays), the
// current label is the one the trace browser filters on and Prune reads, and the verifier
// audit's counts of checker disagreements.
#include <string>

#include "check.h"
#include "store/store.h"
#include "store_test_support.h"

using namespace tpt::store;
using namespace tpt::store::test_support;

TPT_TEST(store, an_annotation_without_a_label_is_refused) {
  Fixture f;
  VERIFY_THROWS_WITH(f.store.add_annotation({0, f.known[0].id, "ada", Label::None, "", ""}), "needs a label");
}

TPT_TEST(store, the_latest_annotation_decides_the_label_filter) {
  Fixture f;
  SampleFilter rejected;
  rejected.latest_label = Label::Reject;
  COMPARE(f.store.count_samples(rejected), std::int64_t{0});  // rejected, then flagged
  f.store.add_annotation({0, f.at(1, 1, 1).id, "bob", Label::Reject, "on second thought", ""});
  COMPARE(show_ids(ids_of(f.store.list_samples(rejected))), show_ids({f.at(1, 1, 1).id}));
}

namespace {

std::int64_t count(Store& store, const std::string& sql) {
  return store.database().scalar_int64(sql, "count in the test");
}

}  // namespace

TPT_TEST(store, a_relabel_replaces_the_current_label_and_keeps_the_old_one_as_history) {
  Fixture f;
  const std::int64_t sample = f.at(0, 3, 0).id;
  const auto first = f.store.add_annotation({0, sample, "ada", Label::Accept, "", ""});
  const auto second = f.store.add_annotation({0, sample, "ada", Label::Reject, "on second thought", ""});
  const std::string of_sample = " FROM annotations WHERE sample_id = " + std::to_string(sample);
  COMPARE(count(f.store, "SELECT count(*)" + of_sample + " AND state = 'current'"), std::int64_t{1});
  COMPARE(count(f.store, "SELECT count(*)" + of_sample), std::int64_t{2});
  const auto detail = f.store.get_sample(sample);
  COMPARE(detail->annotations.size(), size_t{2});
  COMPARE(detail->annotations[0].id, first);
  VERIFY(detail->annotations[0].state == AnnotationState::Superseded);
  VERIFY(!detail->annotations[0].replaced_at.empty());
  COMPARE(detail->annotations[1].id, second);
  VERIFY(detail->annotations[1].state == AnnotationState::Current);
  COMPARE(detail->annotations[1].replaces, first);
  const auto current = f.store.current_annotation(sample);
  VERIFY(current.has_value());
  COMPARE(current->id, second);
  SampleFilter rejected;
  rejected.latest_label = Label::Reject;
  COMPARE(show_ids(ids_of(f.store.list_samples(rejected))), show_ids({sample}));
  // The database itself refuses a second current label.
  VERIFY_THROWS_WITH(f.store.database().exec("INSERT INTO annotations(sample_id, annotator, label, created_at)"
                                             " VALUES (" + std::to_string(sample) + ", 'eve', 'flag', 't')",
                                             "add a second current label"),
                     "UNIQUE");
}

TPT_TEST(store, undo_restores_the_previous_label_then_none) {
  Fixture f;
  const std::int64_t sample = f.at(0, 3, 1).id;
  const auto accept = f.store.add_annotation({0, sample, "ada", Label::Accept, "", ""});
  const auto flag = f.store.add_annotation({0, sample, "bob", Label::Flag, "", ""});
  const auto restored = f.store.undo_annotation(flag);
  VERIFY(restored.has_value());
  COMPARE(restored->id, accept);
  VERIFY(restored->label == Label::Accept);
  COMPARE(restored->annotator, std::string("ada"));
  SampleFilter accepted;
  accepted.latest_label = Label::Accept;
  accepted.problem_id = f.problems[3];
  COMPARE(show_ids(ids_of(f.store.list_samples(accepted))), show_ids({sample}));
  // An undone label cannot be undone again, nor a replaced one out of turn.
  VERIFY_THROWS_WITH(f.store.undo_annotation(flag), "already undone");
  const auto reject = f.store.add_annotation({0, sample, "eve", Label::Reject, "", ""});
  VERIFY_THROWS_WITH(f.store.undo_annotation(accept), "labelled again since");
  const auto back = f.store.undo_annotation(reject);
  VERIFY(back.has_value());
  COMPARE(back->id, accept);
  VERIFY(!f.store.undo_annotation(accept).has_value());
  VERIFY(!f.store.current_annotation(sample).has_value());
  // The history keeps every label, each taken back.
  const auto history = f.store.get_sample(sample)->annotations;
  COMPARE(history.size(), size_t{3});
  for (const auto& a : history) VERIFY(a.state == AnnotationState::Undone);
  SampleFilter annotated;
  annotated.annotated = true;
  annotated.problem_id = f.problems[3];
  COMPARE(f.store.count_samples(annotated), std::int64_t{0});
  // Prune reads no label for it.
  for (const auto& input : f.store.prune_inputs(f.rounds[0]))
    if (input.id == sample) VERIFY(input.annotation == Label::None);
}

TPT_TEST(store, prune_reads_the_current_label_and_its_annotator) {
  Fixture f;
  const std::int64_t sample = f.at(1, 2, 0).id;
  f.store.add_annotation({0, sample, "ada", Label::Reject, "", ""});
  f.store.add_annotation({0, sample, "bob", Label::Accept, "", ""});
  bool seen = false;
  for (const auto& input : f.store.prune_inputs(f.rounds[1])) {
    if (input.id != sample) continue;
    seen = true;
    VERIFY(input.annotation == Label::Accept);
    COMPARE(input.annotator, std::string("bob"));
  }
  VERIFY(seen);
}

TPT_TEST(store, checker_disagreements_count_each_round_and_direction) {
  Fixture f;
  const auto rounds = f.store.checker_disagreements(f.experiment);
  COMPARE(rounds.size(), size_t{2});
  for (int r = 0; r < 2; ++r) {
    const auto& got = rounds[static_cast<size_t>(r)];
    COMPARE(got.round_index, r);
    COMPARE(got.round_id, f.rounds[static_cast<size_t>(r)]);
    std::int64_t flexible_only = 0, strict_only = 0, unchecked = 0;
    for (const auto& k : f.known) {
      if (k.round != r) continue;
      if (!k.strict) ++unchecked;
      else if (!*k.strict && *k.flexible) ++flexible_only;
      else if (*k.strict && !*k.flexible) ++strict_only;
    }
    COMPARE(got.strict_wrong_flexible_right, flexible_only);
    COMPARE(got.strict_right_flexible_wrong, strict_only);
    COMPARE(got.unchecked, unchecked);
    COMPARE(got.disagreements(), flexible_only + strict_only);
  }
  // Stored as written, read back with the sample.
  const SampleRecord strict_only = f.store.get_sample(f.at(1, 3, 0).id)->sample;
  VERIFY(strict_only.correct_strict == std::optional<bool>(true));
  VERIFY(strict_only.correct_flexible == std::optional<bool>(false));
  const SampleRecord unchecked = f.store.get_sample(f.at(1, 3, 2).id)->sample;
  VERIFY(!unchecked.correct_strict && !unchecked.correct_flexible);
  const auto page = f.store.list_samples({}, 0, 1);
  VERIFY(page.front().correct_strict == std::optional<bool>(true));
  COMPARE(page.front().preview, f.known[0].text);
}
