#include "request.hpp"

namespace llmpo {

// Names as they appear in requests.csv and the summary; stable, lower_snake_case like the enums.
const char* to_string(RejectReason reason) {
  switch (reason) {
    case RejectReason::none: return "none";
    case RejectReason::exceeds_max_model_len: return "exceeds_max_model_len";
    case RejectReason::exceeds_kv_capacity: return "exceeds_kv_capacity";
    case RejectReason::exceeds_batch_capacity: return "exceeds_batch_capacity";
    case RejectReason::exceeds_token_budget: return "exceeds_token_budget";
  }
  return "unknown";
}

const char* to_string(RequestOutcome outcome) {
  switch (outcome) {
    case RequestOutcome::pending: return "pending";
    case RequestOutcome::completed: return "completed";
    case RequestOutcome::rejected: return "rejected";
  }
  return "unknown";
}

}  // namespace llmpo
