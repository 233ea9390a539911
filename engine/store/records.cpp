#include "store/records.h"

namespace tpt::store {

const char* to_string(RoundState state) {
  switch (state) {
    case RoundState::Pending: return "pending";
    case RoundState::Think: return "think";
    case RoundState::Prune: return "prune";
    case RoundState::Train: return "train";
    case RoundState::Eval: return "eval";
    case RoundState::Done: return "done";
  }
  return "pending";
}

std::optional<RoundState> parse_round_state(std::string_view text) {
  for (RoundState s : {RoundState::Pending, RoundState::Think, RoundState::Prune, RoundState::Train, RoundState::Eval,
                       RoundState::Done})
    if (text == to_string(s)) return s;
  return std::nullopt;
}

const char* to_string(AnnotationState state) {
  switch (state) {
    case AnnotationState::Current: return "current";
    case AnnotationState::Superseded: return "superseded";
    case AnnotationState::Undone: return "undone";
  }
  return "current";
}

std::optional<AnnotationState> parse_annotation_state(std::string_view text) {
  for (AnnotationState s : {AnnotationState::Current, AnnotationState::Superseded, AnnotationState::Undone})
    if (text == to_string(s)) return s;
  return std::nullopt;
}

DecisionRecord decision_record(const prune::Decision& d) {
  DecisionRecord r{d.sample_id, d.kept, d.dropped_by, d.reason, d.judgement.extracted, d.judgement.verdict,
                   d.verdicts, "", ""};
  if (d.judgement.code) r.detail = d.judgement.code->to_json().dump();
  return r;
}

}  // namespace tpt::store
