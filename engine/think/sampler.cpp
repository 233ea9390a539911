#include "think/sampler.h"

namespace tpt::think {

const char* to_string(FinishReason reason) {
  switch (reason) {
    case FinishReason::Eos: return "eos";
    case FinishReason::StopString: return "stop_string";
    case FinishReason::Length: return "length";
    case FinishReason::Cancelled: return "cancelled";
  }
  return "length";
}

}  // namespace tpt::think
