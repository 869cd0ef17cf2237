#pragma once
// LLMPerfOracle's sampler distributions (workload/sampler.py: Constant, Fixed, Exponential,
// Uniform, Normal, LogNormal, Pareto, Weibull, Gamma, Mixture, with its defaults for missing
// parameters) turned into ours: token-length specs and one arrival process.
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "lpo_reader.hpp"

namespace llmpo {

// Mean and variance of one upstream distribution as its sampler draws it (before its integer
// rounding). variance is +inf when the distribution has none (Pareto with shape <= 2).
struct LpoMoments {
  double mean = 0;
  double variance = 0;
};
LpoMoments lpo_moments(LpoReader& reader, const YAML::Node& dist, const std::string& path);

// A token-length distribution as one of our flow mappings ("{distribution: uniform, min: 500,
// max: 1000}"). Exact where we have the same family; a LogNormal's upstream parameters are those
// of log(x) (numpy's lognormal(mean, sigma)) and become our mean and stdev of x; families we
// lack get a lognormal of the same mean and variance, with a note.
std::string lpo_length_spec(LpoReader& reader, const YAML::Node& dist, const std::string& path);

// Upstream draws each request's profile by weight, then waits a gap drawn from that profile's
// inter-arrival distribution: the gaps are independent draws from the weighted mixture of the
// profiles' distributions. Ours is the renewal process with the same mean gap and the same
// squared coefficient of variation: `constant` (CV^2 = 0), `poisson` (CV^2 = 1) or `gamma`
// with burstiness 1 / CV^2.
struct LpoArrival {
  std::string process;     // constant, poisson, gamma
  double rate_per_s = 0;   // 1 / mean gap
  double burstiness = 1;   // gamma only
  double mean_gap_s = 0;
  double gap_cv2 = 0;
};
struct LpoWeightedGap {
  double weight = 0;
  LpoMoments gap;
};
LpoArrival lpo_arrival(const std::vector<LpoWeightedGap>& profiles);

// Numbers written into the converted file: shortest text that reads back within 1e-7 relative.
std::string lpo_number(double value);

}  // namespace llmpo
