#pragma once
// Bounded nonlinear least squares: Levenberg-Marquardt with projection onto box bounds, on
// parameters rescaled to [0, 1] so one step size suits latencies (1e-6 s) and fractions alike.
// Jacobians are forward differences. Deterministic: no randomness, fixed iteration order.
#include <functional>
#include <vector>

#include <Eigen/Dense>

namespace llmpo::calibration {

struct BoundedParameter {
  double initial = 0;
  double lower = 0;
  double upper = 1;
};

struct LeastSquaresResult {
  Eigen::VectorXd x;       // best parameters found, within bounds
  double cost = 0;         // 0.5 x sum of squared residuals at x
  int iterations = 0;
  bool converged = false;  // the relative cost decrease fell below the tolerance
};

// residuals(x, r): fill r (already sized `count`) for parameters x.
using ResidualFunction = std::function<void(const Eigen::VectorXd& x, Eigen::VectorXd& r)>;

LeastSquaresResult bounded_least_squares(const ResidualFunction& residuals, std::size_t count,
                                         const std::vector<BoundedParameter>& parameters,
                                         int max_iterations = 200, double tolerance = 1e-12);

}  // namespace llmpo::calibration
