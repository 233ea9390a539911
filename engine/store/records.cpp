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

}  // namespace tpt::store
