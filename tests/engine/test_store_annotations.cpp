// Tests of annotations in the experiment store: every one needs a label, and a sample's
// latest label is the one the trace browser filters on.
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
