// The trace browser's queries: a filter (round, problem, verdict, kept, rule, label, checkers,
// text) becomes one SQL query, which serves a page (keyset paging by sample id), a count, and
// the plan that the tests check.
#include "store/store.h"

#include "core/error.h"
#include "store/store_internal.h"

namespace tpt::store {

namespace {

// LIKE pattern for "contains `needle`", with LIKE's own wildcards taken literally.
std::string like_pattern(const std::string& needle) {
  std::string pattern = "%";
  for (char c : needle) {
    if (c == '%' || c == '_' || c == '\\') pattern += '\\';
    pattern += c;
  }
  return pattern + "%";
}

// A value bound to a '?' of a generated query.
struct Param {
  bool is_text = false;
  std::int64_t number = 0;
  std::string text;
};

// The list_samples / count_samples query for one filter.
//
// The page query must be a single index range scan in sample-id order that stops after
// `limit` rows, whatever the filter. The SQL is therefore written for one chosen "driver"
// index (the most selective filter that has an id-ordered index), and the other conditions are
// written with SQLite's unary '+', which forbids their use as index keys: the plan is fixed by
// the code, not left to statistics that may be missing on a freshly written file. CROSS JOIN
// fixes the join order the same way.
struct SampleQuery {
  bool matches_nothing = false;
  std::string from;
  std::vector<std::string> conditions;
  std::vector<Param> params;
  std::string id_column;  // what the keyset and ORDER BY use
  // For counting: the same, without the join to samples when no condition needs it, so a
  // decision filter counts inside its index.
  std::string count_from;

  void add(std::string condition) { conditions.push_back(std::move(condition)); }
  void add(std::string condition, std::int64_t value) {
    conditions.push_back(std::move(condition));
    params.push_back({false, value, {}});
  }
  void add(std::string condition, std::string value) {
    conditions.push_back(std::move(condition));
    params.push_back({true, 0, std::move(value)});
  }
  std::string where() const {
    std::string text;
    for (const auto& condition : conditions) text += (text.empty() ? " WHERE " : " AND ") + condition;
    return text;
  }
};

enum class Driver {
  problem,        // samples_by_problem: a problem (or the few a key prefix names) has rounds × k samples
  label,          // samples_by_label / samples_annotated: annotations are few
  checkers,       // samples_checkers_disagree (round, strict, id): the checkers disagree on few samples
  rule,           // decisions_by_rule (round, dropped_by, id)
  verdict,        // decisions_by_verdict (round, verdict, id)
  kept,           // decisions_by_kept (round, kept, id)
  round,          // samples_by_round
  decisions_all,  // decision filters without a round: walk decisions (narrower than samples)
  samples_all,    // no indexed filter: walk samples by id
};

void bind_params(Query& q, const std::vector<Param>& params, int first = 1) {
  int index = first;
  for (const auto& p : params) {
    if (p.is_text) {
      q.bind(index++, p.text);
    } else {
      q.bind(index++, p.number);
    }
  }
}

SampleQuery build_query(Database& db, const SampleFilter& f) {
  SampleQuery sq;

  std::optional<std::int64_t> round_id = f.round_id;
  if (f.round_index) {
    auto q = db.query(
        "SELECT id FROM rounds WHERE round_index = ?1 AND (?2 IS NULL OR experiment_id = ?2)",
        "find round " + std::to_string(*f.round_index));
    q.bind(1, *f.round_index).bind(2, f.experiment_id);
    std::vector<std::int64_t> ids;
    while (q.step()) ids.push_back(q.int64(0));
    if (ids.size() > 1) {
      throw Error(db.path() + ": round index " + std::to_string(*f.round_index) +
                  " is ambiguous: the database holds several experiments; set the filter's"
                  " experiment_id");
    }
    if (ids.empty() || (round_id && *round_id != ids[0])) {
      sq.matches_nothing = true;
      return sq;
    }
    round_id = ids[0];
  }

  const bool decision_filter = f.verdict || f.kept || f.dropped_by;
  Driver driver = Driver::samples_all;
  if (f.problem_id || f.problem_key_prefix) {
    driver = Driver::problem;
  } else if (f.latest_label || f.annotated.value_or(false)) {
    driver = Driver::label;
  } else if (f.checkers) {
    driver = Driver::checkers;
  } else if (round_id && f.dropped_by) {
    driver = Driver::rule;
  } else if (round_id && f.verdict) {
    driver = Driver::verdict;
  } else if (round_id && f.kept) {
    driver = Driver::kept;
  } else if (round_id) {
    driver = Driver::round;
  } else if (decision_filter) {
    driver = Driver::decisions_all;
  }
  const bool from_decisions = driver == Driver::rule || driver == Driver::verdict ||
                              driver == Driver::kept || driver == Driver::decisions_all;
  const bool samples_conditions = f.problem_id || f.problem_key_prefix || f.latest_label || f.annotated || f.checkers ||
                                  f.text_contains || (!round_id && f.experiment_id);
  if (from_decisions) {
    sq.from = " FROM decisions d CROSS JOIN samples s ON s.id = d.sample_id";
    if (!samples_conditions) sq.count_from = " FROM decisions d";
    sq.id_column = "d.sample_id";
  } else if (decision_filter) {
    sq.from = " FROM samples s CROSS JOIN decisions d ON d.sample_id = s.id";
    sq.id_column = "s.id";
  } else {
    sq.from = " FROM samples s LEFT JOIN decisions d ON d.sample_id = s.id";
    // The LEFT JOIN is on a unique key: it cannot change the count, and without it SQLite
    // counts a bare table from its smallest index instead of walking the texts.
    sq.count_from = " FROM samples s";
    sq.id_column = "s.id";
  }
  // An index key only for the driver; '+' keeps every other condition a plain row test.
  auto key = [&](Driver d) { return driver == d ? "" : "+"; };

  if (round_id) {
    if (from_decisions) {
      sq.add(std::string(driver == Driver::decisions_all ? "+" : "") + "d.round_id = ?", *round_id);
    } else {
      // The audit's index starts with the round too.
      sq.add(std::string(driver == Driver::round || driver == Driver::checkers ? "" : "+") + "s.round_id = ?",
             *round_id);
    }
  } else if (f.experiment_id) {
    sq.add("+s.round_id IN (SELECT id FROM rounds WHERE experiment_id = ?)", *f.experiment_id);
  }
  if (f.problem_id) sq.add(std::string(key(Driver::problem)) + "s.problem_id = ?", *f.problem_id);
  if (f.problem_key_prefix) {
    // substr() counts characters, so the length is the prefix's in code points; comparing the
    // substring (not LIKE) keeps the match case-sensitive and takes '%' and '_' literally. With
    // a problem id as well, the id drives and this is a row test.
    std::size_t characters = 0;
    for (unsigned char c : *f.problem_key_prefix) characters += (c & 0xC0) != 0x80;  // UTF-8 lead bytes
    const std::string length = std::to_string(characters);
    sq.add(std::string(f.problem_id ? "+" : "") + "s.problem_id IN (SELECT id FROM problems WHERE substr(problem_key, 1, " +
               length + ") = ?" + (f.experiment_id ? " AND experiment_id = ?)" : ")"),
           *f.problem_key_prefix);
    if (f.experiment_id) sq.params.push_back({false, *f.experiment_id, {}});
  }
  if (f.verdict) sq.add(std::string(key(Driver::verdict)) + "d.verdict = ?", to_string(*f.verdict));
  if (f.kept) sq.add(std::string(key(Driver::kept)) + "d.kept = ?", std::int64_t{*f.kept ? 1 : 0});
  if (f.dropped_by) sq.add(std::string(key(Driver::rule)) + "d.dropped_by = ?", *f.dropped_by);
  if (f.latest_label) {
    sq.add(std::string(key(Driver::label)) + "s.annotation_label = ?", to_string(*f.latest_label));
  } else if (f.annotated) {
    // A partial index covers only labelled rows, so "not annotated" is never a driver.
    sq.add(*f.annotated ? std::string(key(Driver::label)) + "s.annotation_label IS NOT NULL"
                        : std::string("+s.annotation_label IS NULL"));
  }
  if (f.latest_label && f.annotated && !*f.annotated) sq.matches_nothing = true;
  if (f.checkers) {
    // The partial index's own condition, written as it is declared, is what lets SQLite use
    // it; the round and the direction are its leading columns.
    sq.add(std::string(key(Driver::checkers)) + "s.correct_strict <> s.correct_flexible");
    if (*f.checkers != CheckerAudit::Disagree)
      sq.add(std::string(key(Driver::checkers)) + "s.correct_strict = ?",
             std::int64_t{*f.checkers == CheckerAudit::StrictRightFlexibleWrong ? 1 : 0});
  }
  if (sq.count_from.empty()) sq.count_from = sq.from;
  if (f.text_contains) sq.add("s.text LIKE ? ESCAPE '\\'", like_pattern(*f.text_contains));
  return sq;
}

std::string page_sql(const SampleQuery& sq) {
  // Round index and problem key come from correlated lookups, evaluated for the page's rows
  // only, so the join order of the scan stays the one built above.
  return "SELECT s.id, (SELECT round_index FROM rounds WHERE id = s.round_id),"
         " (SELECT problem_key FROM problems WHERE id = s.problem_id), s.sample_index,"
         " s.token_count, s.finish_reason, d.extracted, d.verdict, d.kept, d.dropped_by,"
         " s.annotation_label, s.correct_strict, s.correct_flexible, substr(s.text, 1, " +
         std::to_string(SampleRow::kPreviewChars) + ")" +
         sq.from + sq.where() + (sq.conditions.empty() ? " WHERE " : " AND ") + sq.id_column +
         " > ? ORDER BY " + sq.id_column + " LIMIT ?";
}

}  // namespace

std::vector<SampleRow> Store::list_samples(const SampleFilter& filter, std::int64_t after_sample_id,
                                           int limit) {
  std::vector<SampleRow> rows;
  SampleQuery sq = build_query(impl_->db, filter);
  if (sq.matches_nothing || limit <= 0) return rows;
  auto q = impl_->db.query(page_sql(sq), "list samples");
  bind_params(q, sq.params);
  const int next = static_cast<int>(sq.params.size()) + 1;
  q.bind(next, after_sample_id).bind(next + 1, limit);
  rows.reserve(static_cast<size_t>(limit));
  while (q.step()) {
    SampleRow row;
    row.sample_id = q.int64(0);
    row.round_index = static_cast<int>(q.int64(1));
    row.problem_key = q.text(2);
    row.sample_index = static_cast<int>(q.int64(3));
    row.token_count = static_cast<int>(q.int64(4));
    row.finish_reason = q.text(5);
    row.extracted = q.optional_text(6);
    if (!q.is_null(7)) row.verdict = detail::parse_verdict(q.text(7));
    if (!q.is_null(8)) row.kept = q.int64(8) != 0;
    row.dropped_by = q.text(9);
    if (!q.is_null(10)) row.latest_label = detail::parse_label(q.text(10));
    if (!q.is_null(11)) row.correct_strict = q.int64(11) != 0;
    if (!q.is_null(12)) row.correct_flexible = q.int64(12) != 0;
    row.preview = q.text(13);
    rows.push_back(std::move(row));
  }
  return rows;
}

std::int64_t Store::count_samples(const SampleFilter& filter) {
  SampleQuery sq = build_query(impl_->db, filter);
  if (sq.matches_nothing) return 0;
  auto q = impl_->db.query("SELECT count(*)" + sq.count_from + sq.where(), "count samples");
  bind_params(q, sq.params);
  return q.step() ? q.int64(0) : 0;
}

std::string Store::explain_list_samples(const SampleFilter& filter) {
  SampleQuery sq = build_query(impl_->db, filter);
  if (sq.matches_nothing) return "(matches nothing; no query)";
  auto q = impl_->db.query("EXPLAIN QUERY PLAN " + page_sql(sq), "explain a sample query");
  bind_params(q, sq.params);
  std::string plan;
  while (q.step()) plan += q.text(3) + "\n";
  return plan;
}

}  // namespace tpt::store
