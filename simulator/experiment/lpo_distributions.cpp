#include "lpo_distributions.hpp"

#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "simulator/util/text.hpp"

namespace llmpo {

namespace {

const std::vector<std::string> kTypes = {"Constant", "Fixed",   "Exponential", "Uniform", "Normal",
                                         "LogNormal", "Pareto", "Weibull",     "Gamma",   "Mixture"};

// The sampler's type: `type` (default Constant), one of kTypes exactly as upstream compares it.
// Upstream samples 1.0 for any other name, silently; here it is an error, as that is never meant.
std::string type_of(LpoReader& reader, const YAML::Node& dist, const std::string& path) {
  if (!dist.IsMap()) reader.fail(dist, path, "expected a distribution mapping such as {type: Exponential, rate: 5}");
  const std::string type = reader.text(dist, "type", path + ".type").value_or("Constant");
  for (const auto& valid : kTypes)
    if (type == valid) return type;
  std::string message = "unknown distribution type '" + type + "' (LLMPerfOracle would sample the constant 1.0; valid: " +
                        join(kTypes) + ")";
  const std::string hint = did_you_mean(type, kTypes);
  if (!hint.empty()) message += "; " + hint;
  // reset(), not `at = ...`: assigning to a Node writes through to the node it refers to (here
  // `dist` itself, mid-iteration).
  YAML::Node at = dist;
  for (const auto& entry : dist)
    if (entry.first.Scalar() == "type") at.reset(entry.second);
  reader.fail(at, path + ".type", message);
}

// A parameter with the sampler's default; a missing one is noted, as the default is rarely meant.
double param(LpoReader& reader, const YAML::Node& dist, const std::string& path, const std::string& key,
             double fallback, double min = -1e300) {
  if (const auto value = reader.number(dist, key, path + "." + key, min)) return *value;
  reader.note(dist, path + "." + key, fmt::format("missing; LLMPerfOracle's default {} assumed", fallback));
  return fallback;
}

double std_param(LpoReader& reader, const YAML::Node& dist, const std::string& path) {
  // sampler.py reads `std`, else `sigma`, else 1.0.
  if (const auto value = reader.number(dist, "std", path + ".std", 0)) return *value;
  return param(reader, dist, path, "sigma", 1.0, 0);
}

void check_params(LpoReader& reader, const YAML::Node& dist, const std::string& path, const std::string& type) {
  std::vector<std::string> known = {"type", "is_int"};
  if (type == "Constant" || type == "Fixed") known.push_back("value");
  if (type == "Exponential") known.push_back("rate");
  if (type == "Uniform") known.insert(known.end(), {"low", "high"});
  if (type == "Normal") known.insert(known.end(), {"mean", "std", "sigma"});
  if (type == "LogNormal") known.insert(known.end(), {"mean", "sigma"});
  if (type == "Pareto" || type == "Weibull" || type == "Gamma") known.insert(known.end(), {"shape", "scale"});
  if (type == "Mixture") known.insert(known.end(), {"components", "weights"});
  reader.check_keys(dist, path, known);
}

LpoMoments mixture_moments(LpoReader& reader, const YAML::Node& dist, const std::string& path) {
  const auto components = reader.list(dist, "components", path + ".components");
  if (!components || components->size() == 0)
    reader.fail(dist, path + ".components", "a Mixture needs a non-empty list of component distributions");
  std::vector<double> weights(components->size(), 1.0);
  if (const auto listed = reader.list(dist, "weights", path + ".weights")) {
    if (listed->size() != components->size())
      reader.fail(*listed, path + ".weights",
                  fmt::format("{} weights for {} components", listed->size(), components->size()));
    for (std::size_t i = 0; i < weights.size(); ++i)
      weights[i] = reader.number_value((*listed)[i], fmt::format("{}.weights[{}]", path, i), 0);
  }
  double total = 0;
  for (const double w : weights) total += w;
  if (total <= 0) reader.fail(dist, path + ".weights", "the weights add up to 0");
  double mean = 0, second = 0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    const LpoMoments m = lpo_moments(reader, (*components)[i], fmt::format("{}.components[{}]", path, i));
    mean += weights[i] / total * m.mean;
    second += weights[i] / total * (m.variance + m.mean * m.mean);
  }
  return {mean, std::max(0.0, second - mean * mean)};
}

}  // namespace

LpoMoments lpo_moments(LpoReader& reader, const YAML::Node& dist, const std::string& path) {
  const std::string type = type_of(reader, dist, path);
  check_params(reader, dist, path, type);
  const double inf = std::numeric_limits<double>::infinity();
  if (type == "Constant" || type == "Fixed") return {param(reader, dist, path, "value", 1.0), 0.0};
  if (type == "Exponential") {
    const double rate = param(reader, dist, path, "rate", 1.0);
    if (rate <= 0) reader.fail(dist, path + ".rate", "must be > 0");
    return {1 / rate, 1 / (rate * rate)};
  }
  if (type == "Uniform") {
    const double low = param(reader, dist, path, "low", 0.0), high = param(reader, dist, path, "high", 1.0);
    if (high < low) reader.fail(dist, path + ".high", fmt::format("high {} is below low {}", high, low));
    return {(low + high) / 2, (high - low) * (high - low) / 12};
  }
  if (type == "Normal") {
    // sampler.py clips at 0; the moments are those of the unclipped normal (close when mean >> std).
    const double mean = param(reader, dist, path, "mean", 0.0), stdev = std_param(reader, dist, path);
    return {mean, stdev * stdev};
  }
  if (type == "LogNormal") {
    const double mu = param(reader, dist, path, "mean", 0.0), sigma = param(reader, dist, path, "sigma", 1.0, 0);
    const double mean = std::exp(mu + sigma * sigma / 2);
    return {mean, (std::exp(sigma * sigma) - 1) * mean * mean};
  }
  if (type == "Gamma") {
    const double shape = param(reader, dist, path, "shape", 2.0), scale = param(reader, dist, path, "scale", 1.0);
    if (shape <= 0 || scale <= 0) reader.fail(dist, path, "Gamma needs shape > 0 and scale > 0");
    return {shape * scale, shape * scale * scale};
  }
  if (type == "Weibull") {
    const double shape = param(reader, dist, path, "shape", 1.0), scale = param(reader, dist, path, "scale", 1.0);
    if (shape <= 0 || scale <= 0) reader.fail(dist, path, "Weibull needs shape > 0 and scale > 0");
    const double g1 = std::tgamma(1 + 1 / shape), g2 = std::tgamma(1 + 2 / shape);
    return {scale * g1, scale * scale * (g2 - g1 * g1)};
  }
  if (type == "Pareto") {
    // sampler.py: (numpy pareto(shape) + 1) * scale, the classical Pareto with minimum `scale`.
    const double shape = param(reader, dist, path, "shape", 1.0), scale = param(reader, dist, path, "scale", 1.0);
    if (shape <= 1) reader.fail(dist, path + ".shape", fmt::format("a Pareto with shape {} <= 1 has no mean", shape));
    const double mean = shape * scale / (shape - 1);
    const double variance = shape > 2 ? scale * scale * shape / ((shape - 1) * (shape - 1) * (shape - 2)) : inf;
    return {mean, variance};
  }
  return mixture_moments(reader, dist, path);
}

std::string lpo_number(double value) {
  for (int digits = 6; digits < 17; ++digits) {
    const std::string text = fmt::format("{:.{}g}", value, digits);
    if (std::abs(std::stod(text) - value) <= 1e-7 * std::abs(value)) return text;
  }
  return fmt::format("{}", value);
}

namespace {

int64_t tokens(double value) { return std::max<int64_t>(1, std::llround(value)); }

// Our lognormal of x with mean and stdev of x; the fallback for families we do not have.
std::string lognormal_like(double mean, double stdev) {
  if (stdev <= 0) return fmt::format("{{distribution: fixed, value: {}}}", tokens(mean));
  return fmt::format("{{distribution: lognormal, mean: {}, stdev: {}, min: 1}}", lpo_number(mean), lpo_number(stdev));
}

// Above this a log-space mean cannot be meant for a token count: exp(20.7) is 1e9 tokens, our
// limit for one request.
constexpr double kLargestLogTokens = 20.72;

}  // namespace

std::string lpo_length_spec(LpoReader& reader, const YAML::Node& dist, const std::string& path) {
  const std::string type = type_of(reader, dist, path);
  if (type == "Constant" || type == "Fixed" || type == "Uniform" || type == "Normal") {
    const LpoMoments m = lpo_moments(reader, dist, path);
    if (type == "Uniform") {
      const double low = m.mean - std::sqrt(3 * m.variance), high = m.mean + std::sqrt(3 * m.variance);
      if (tokens(low) >= tokens(high)) return fmt::format("{{distribution: fixed, value: {}}}", tokens(high));
      return fmt::format("{{distribution: uniform, min: {}, max: {}}}", tokens(low), tokens(high));
    }
    if (type == "Normal" && m.variance > 0) {
      if (m.mean <= 0) reader.fail(dist, path + ".mean", "a token count's Normal needs mean > 0");
      return fmt::format("{{distribution: normal, mean: {}, stdev: {}, min: 1}}", lpo_number(m.mean),
                         lpo_number(std::sqrt(m.variance)));
    }
    return fmt::format("{{distribution: fixed, value: {}}}", tokens(m.mean));
  }
  if (type == "LogNormal") {
    const double mu = reader.number(dist, "mean", path + ".mean").value_or(0.0);
    const double sigma = reader.number(dist, "sigma", path + ".sigma", 0).value_or(1.0);
    if (mu > kLargestLogTokens) {
      // Upstream passes these to numpy's lognormal(mean, sigma) as parameters of log(x), so it
      // would draw about e^mu tokens; several of its examples (mean: 128, sigma: 64) plainly
      // mean the tokens' own mean and spread, which is how they are read here.
      reader.note(dist, path, fmt::format("LogNormal mean {} is read as the mean token count, stdev {}: as "
                                          "parameters of log(x), as LLMPerfOracle reads them, it would draw "
                                          "about e^{} tokens",
                                          lpo_number(mu), lpo_number(sigma), lpo_number(mu)));
      check_params(reader, dist, path, type);
      return lognormal_like(mu, sigma);
    }
    const LpoMoments m = lpo_moments(reader, dist, path);
    return lognormal_like(m.mean, std::sqrt(m.variance));
  }
  const LpoMoments m = lpo_moments(reader, dist, path);
  if (!std::isfinite(m.variance))
    reader.fail(dist, path, type + " with infinite variance has no lognormal of the same spread; give a LogNormal");
  reader.note(dist, path,
              fmt::format("no {} token-length distribution here: a lognormal of the same mean {} and stdev {} instead",
                          type, lpo_number(m.mean), lpo_number(std::sqrt(m.variance))));
  return lognormal_like(m.mean, std::sqrt(m.variance));
}

LpoArrival lpo_arrival(const std::vector<LpoWeightedGap>& profiles) {
  double total = 0, mean = 0, second = 0;
  for (const auto& p : profiles) total += p.weight;
  for (const auto& p : profiles) {
    mean += p.weight / total * p.gap.mean;
    second += p.weight / total * (p.gap.variance + p.gap.mean * p.gap.mean);
  }
  LpoArrival arrival;
  arrival.mean_gap_s = mean;
  arrival.rate_per_s = 1 / mean;
  arrival.gap_cv2 = std::max(0.0, second - mean * mean) / (mean * mean);
  if (arrival.gap_cv2 < 1e-12) {
    arrival.process = "constant";
  } else if (std::abs(arrival.gap_cv2 - 1) < 1e-9) {
    arrival.process = "poisson";
  } else {
    arrival.process = "gamma";
    arrival.burstiness = 1 / arrival.gap_cv2;
  }
  return arrival;
}

}  // namespace llmpo
