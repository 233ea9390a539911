// Think's samples and Prune's decisions on them, and what the next phases read back: one
// sample with everything attached (the trace view), the resume keys, Prune's inputs and the
// kept traces that Train learns from. The trace browser's filtered pages are in
// store_trace_browser.cpp.
#include "store/store.h"

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "store/store_internal.h"
#include "text/utf8.h"

namespace tpt::store {

namespace {

// A JSON string literal. Invalid UTF-8 (a reason cut mid-character, say) becomes U+FFFD, one
// per bad byte, so the stored array always parses again. Validity is text/'s strict kind
// (no overlong forms, surrogates or code points past U+10FFFF), because nlohmann::json, which
// reads the array back, refuses those too.
void append_json_string(std::string& out, const std::string& text) {
  static const char* hex = "0123456789abcdef";
  out += '"';
  for (size_t i = 0; i < text.size();) {
    const size_t start = i;
    const char32_t cp = tpt::text::next_code_point(text, i);
    if (i - start > 1) {
      out.append(text, start, i - start);  // a valid multi-byte character, unchanged
      continue;
    }
    // One byte: ASCII, or an invalid byte, which next_code_point reads as U+FFFD (a valid
    // U+FFFD takes three bytes, so it never gets here).
    if (cp == 0xFFFD) {
      out += "\\ufffd";
      continue;
    }
    const unsigned char c = static_cast<unsigned char>(cp);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20) {
      out += "\\u00";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
}

// Written by hand: this runs once per decision, a million times per re-prune, and building
// nlohmann::json objects for it cost more than the database insert itself.
std::string rules_to_json(const std::vector<RuleVerdict>& rules) {
  std::string out = "[";
  for (const auto& rule : rules) {
    if (out.size() > 1) out += ',';
    out += "{\"rule\":";
    append_json_string(out, rule.rule);
    out += ",\"outcome\":\"";
    out += prune::to_string(rule.outcome);
    out += '"';
    out += ",\"reason\":";
    append_json_string(out, rule.reason);
    out += '}';
  }
  return out + "]";
}

std::vector<RuleVerdict> rules_from_json(const std::string& path, std::int64_t sample_id,
                                         const std::string& text) {
  std::vector<RuleVerdict> rules;
  try {
    for (const auto& item : nlohmann::json::parse(text)) {
      const std::string outcome = item.value("outcome", "");
      const auto parsed = prune::parse_outcome(outcome);
      if (!parsed) throw Error("unknown rule outcome \"" + outcome + "\"");
      rules.push_back({item.value("rule", ""), *parsed, item.value("reason", "")});
    }
  } catch (const std::exception& e) {
    throw Error(path + ": cannot read the rule verdicts of sample " + std::to_string(sample_id) +
                ": " + e.what());
  }
  return rules;
}

// The sample columns of a row, from column `c` on (s.id ... s.correct_flexible, as get_sample
// selects them).
SampleRecord read_sample(Query& q, int c) {
  SampleRecord s;
  s.id = q.int64(c + 0);
  s.round_id = q.int64(c + 1);
  s.problem_id = q.int64(c + 2);
  s.sample_index = static_cast<int>(q.int64(c + 3));
  s.token_count = static_cast<int>(q.int64(c + 4));
  s.finish_reason = q.text(c + 5);
  s.seed = static_cast<std::uint64_t>(q.int64(c + 6));
  s.sampling.temperature = q.real(c + 7);
  s.sampling.top_p = q.real(c + 8);
  s.sampling.top_k = static_cast<int>(q.int64(c + 9));
  s.sampling.max_new_tokens = static_cast<int>(q.int64(c + 10));
  s.created_at = q.text(c + 11);
  s.text = q.text(c + 12);
  if (!q.is_null(c + 13)) s.correct_strict = q.int64(c + 13) != 0;
  if (!q.is_null(c + 14)) s.correct_flexible = q.int64(c + 14) != 0;
  return s;
}

}  // namespace

// ---- samples -------------------------------------------------------------------------

InsertResult Store::insert_samples(const std::vector<SampleRecord>& samples,
                                   OnConflict on_conflict) {
  impl_->require_writable("insert samples");
  const std::string now = detail::now_utc();
  return detail::insert_keyed(
      impl_->db, "samples",
      "round_id, problem_id, sample_index, token_count, finish_reason, seed, temperature, top_p,"
      " top_k, max_new_tokens, created_at, text, correct_strict, correct_flexible",
      14, samples, on_conflict, "insert samples", [&](Query& q, const SampleRecord& s) {
        q.bind(1, s.round_id).bind(2, s.problem_id).bind(3, s.sample_index);
        q.bind(4, s.token_count).bind(5, s.finish_reason);
        // The seed is a full 64-bit pattern; SQLite integers are signed: store the bits.
        q.bind(6, static_cast<std::int64_t>(s.seed));
        q.bind(7, s.sampling.temperature).bind(8, s.sampling.top_p);
        q.bind(9, s.sampling.top_k).bind(10, s.sampling.max_new_tokens);
        q.bind(11, s.created_at.empty() ? now : s.created_at).bind(12, s.text);
        q.bind(13, s.correct_strict).bind(14, s.correct_flexible);
      });
}

std::optional<SampleDetail> Store::get_sample(std::int64_t sample_id) {
  auto& db = impl_->db;
  const std::string what = "read sample " + std::to_string(sample_id);
  SampleDetail detail;
  {
    auto q = db.query(
        "SELECT s.id, s.round_id, s.problem_id, s.sample_index, s.token_count, s.finish_reason,"
        " s.seed, s.temperature, s.top_p, s.top_k, s.max_new_tokens, s.created_at, s.text,"
        " s.correct_strict, s.correct_flexible,"
        " r.round_index, p.id, p.experiment_id, p.split, p.problem_key, p.question, p.solution,"
        " p.gold"
        " FROM samples s JOIN rounds r ON r.id = s.round_id JOIN problems p ON p.id = s.problem_id"
        " WHERE s.id = ?1",
        what);
    q.bind(1, sample_id);
    if (!q.step()) return std::nullopt;
    detail.sample = read_sample(q, 0);
    detail.round_index = static_cast<int>(q.int64(15));
    detail.problem = {q.int64(16), q.int64(17), q.text(18), q.text(19),
                      q.text(20),  q.text(21),  q.text(22)};
  }
  {
    auto q = db.query(
        "SELECT kept, dropped_by, reason, extracted, verdict, rule_verdicts, decided_at, detail"
        " FROM decisions WHERE sample_id = ?1",
        what);
    q.bind(1, sample_id);
    if (q.step()) {
      DecisionRecord d;
      d.sample_id = sample_id;
      d.kept = q.int64(0) != 0;
      d.dropped_by = q.text(1);
      d.reason = q.text(2);
      d.extracted = q.optional_text(3);
      d.verdict = detail::parse_verdict(q.text(4));
      d.rules = rules_from_json(path(), sample_id, q.text(5));
      d.decided_at = q.text(6);
      d.detail = q.text(7);
      detail.decision = std::move(d);
    }
  }
  {
    auto q = db.query(
        "SELECT id, sample_id, annotator, label, comment, created_at, state, replaces, replaced_at"
        " FROM annotations WHERE sample_id = ?1 ORDER BY id",
        what);
    q.bind(1, sample_id);
    while (q.step()) detail.annotations.push_back(detail::read_annotation(q, path()));
  }
  return detail;
}

std::vector<SampleKey> Store::sample_keys(std::int64_t round_id) {
  auto q = impl_->db.query("SELECT problem_id, sample_index FROM samples WHERE round_id = ?1",
                           "list the samples of round " + std::to_string(round_id));
  q.bind(1, round_id);
  std::vector<SampleKey> keys;
  while (q.step()) keys.push_back({q.int64(0), static_cast<int>(q.int64(1))});
  return keys;
}

std::vector<prune::PruneSample> Store::prune_inputs(std::int64_t round_id) {
  // The current label counts, as in the trace browser; its annotator names the override.
  auto q = impl_->db.query(
      "SELECT s.id, p.problem_key, s.text, p.gold, s.token_count, s.annotation_label,"
      " (SELECT annotator FROM annotations a WHERE a.sample_id = s.id AND a.state = 'current'),"
      " s.finish_reason = 'length', (SELECT detail FROM decisions d WHERE d.sample_id = s.id)"
      " FROM samples s JOIN problems p ON p.id = s.problem_id WHERE s.round_id = ?1 ORDER BY s.id",
      "read the samples of round " + std::to_string(round_id) + " for pruning");
  q.bind(1, round_id);
  std::vector<prune::PruneSample> result;
  while (q.step()) {
    prune::PruneSample s;
    s.id = q.int64(0);
    s.problem_key = q.text(1);
    s.completion = q.text(2);
    s.gold = q.text(3);
    s.token_count = q.int64(4);
    if (!q.is_null(5)) s.annotation = detail::parse_label(q.text(5));
    s.annotator = q.optional_text(6).value_or("");
    s.truncated = q.int64(7) != 0;
    s.judged = q.optional_text(8).value_or("");
    result.push_back(std::move(s));
  }
  return result;
}

std::vector<KeptTrace> Store::kept_traces(const std::vector<std::int64_t>& round_ids) {
  auto q = impl_->db.query(
      "SELECT s.id, r.round_index, p.id, p.problem_key, p.question, s.text"
      " FROM decisions d CROSS JOIN samples s ON s.id = d.sample_id"
      " JOIN rounds r ON r.id = s.round_id JOIN problems p ON p.id = s.problem_id"
      " WHERE d.round_id = ?1 AND d.kept = 1 ORDER BY s.id",
      "read the kept traces");
  std::vector<KeptTrace> result;
  for (std::int64_t round_id : round_ids) {
    q.bind(1, round_id);
    while (q.step())
      result.push_back({q.int64(0), static_cast<int>(q.int64(1)), q.int64(2), q.text(3), q.text(4), q.text(5)});
    q.reset();
  }
  return result;
}

// ---- decisions -----------------------------------------------------------------------

void Store::write_decisions(const std::vector<DecisionRecord>& decisions) {
  impl_->require_writable("write decisions");
  Transaction transaction(impl_->db);
  // INSERT ... SELECT takes the round from the sample and inserts nothing when the sample is
  // missing, which is reported below in words rather than as a NOT NULL failure.
  auto q = impl_->db.query(
      "INSERT INTO decisions(sample_id, round_id, kept, dropped_by, reason, extracted, verdict,"
      " rule_verdicts, decided_at, detail)"
      " SELECT id, round_id, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9 FROM samples WHERE id = ?1"
      " ON CONFLICT(sample_id) DO UPDATE SET kept = excluded.kept,"
      " dropped_by = excluded.dropped_by, reason = excluded.reason,"
      " extracted = excluded.extracted, verdict = excluded.verdict,"
      " rule_verdicts = excluded.rule_verdicts, decided_at = excluded.decided_at,"
      " detail = excluded.detail",
      "write decisions");
  const std::string now = detail::now_utc();
  for (const auto& d : decisions) {
    const std::string what = "write the decision of sample " + std::to_string(d.sample_id);
    if (d.kept != d.dropped_by.empty()) {
      throw Error(path() + ": cannot " + what +
                  ": a kept sample has no dropped_by rule and a dropped one must name it");
    }
    q.bind(1, d.sample_id).bind(2, d.kept ? 1 : 0);
    if (d.kept) {
      q.bind_null(3);
    } else {
      q.bind(3, d.dropped_by);
    }
    q.bind(4, d.reason).bind(5, d.extracted).bind(6, to_string(d.verdict));
    q.bind(7, rules_to_json(d.rules)).bind(8, d.decided_at.empty() ? now : d.decided_at).bind(9, d.detail);
    q.run();
    q.reset();
    if (impl_->db.changes() == 0) throw Error(path() + ": cannot " + what + ": no such sample");
  }
  transaction.commit();
}

void Store::clear_decisions(std::int64_t round_id) {
  impl_->require_writable("clear decisions");
  impl_->db.query("DELETE FROM decisions WHERE round_id = ?1",
                  "clear the decisions of round " + std::to_string(round_id))
      .bind(1, round_id)
      .run();
}

}  // namespace tpt::store
