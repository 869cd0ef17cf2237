#include "least_squares.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "simulator/util/error.hpp"

namespace llmpo::calibration {

LeastSquaresResult bounded_least_squares(const ResidualFunction& residuals, std::size_t count,
                                         const std::vector<BoundedParameter>& parameters, int max_iterations,
                                         double tolerance) {
  const Eigen::Index n = static_cast<Eigen::Index>(parameters.size());
  const Eigen::Index m = static_cast<Eigen::Index>(count);
  if (n == 0 || m == 0) throw InternalError("bounded_least_squares: no parameters or no residuals");
  Eigen::VectorXd lower(n), span(n), z(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const auto& p = parameters[static_cast<std::size_t>(i)];
    if (!(p.upper > p.lower)) throw InternalError("bounded_least_squares: empty parameter range");
    lower(i) = p.lower;
    span(i) = p.upper - p.lower;
    z(i) = std::clamp((p.initial - p.lower) / span(i), 0.0, 1.0);
  }
  auto to_x = [&](const Eigen::VectorXd& zz) -> Eigen::VectorXd { return lower + span.cwiseProduct(zz); };
  auto cost_of = [&](const Eigen::VectorXd& zz, Eigen::VectorXd& r) {
    residuals(to_x(zz), r);
    const double c = 0.5 * r.squaredNorm();
    return std::isfinite(c) ? c : 1e300;
  };

  Eigen::VectorXd r(m), r_try(m), r_step(m);
  Eigen::MatrixXd jacobian(m, n);
  double cost = cost_of(z, r);
  double lambda = 1e-3;
  LeastSquaresResult result;
  int quiet_steps = 0;
  for (int iteration = 0; iteration < max_iterations; ++iteration) {
    result.iterations = iteration + 1;
    // Forward differences, stepping inward at an upper bound.
    for (Eigen::Index j = 0; j < n; ++j) {
      const double h = z(j) + 1e-6 <= 1.0 ? 1e-6 : -1e-6;
      Eigen::VectorXd zz = z;
      zz(j) += h;
      cost_of(zz, r_step);
      jacobian.col(j) = (r_step - r) / h;
    }
    const Eigen::MatrixXd jtj = jacobian.transpose() * jacobian;
    const Eigen::VectorXd gradient = jacobian.transpose() * r;
    bool accepted = false;
    // Active set: a parameter on a bound whose descent direction points outside stays fixed, so
    // the others move as the constrained optimum needs rather than being clipped with it.
    std::vector<Eigen::Index> free;
    for (Eigen::Index j = 0; j < n; ++j)
      if (!((z(j) <= 0.0 && gradient(j) > 0) || (z(j) >= 1.0 && gradient(j) < 0))) free.push_back(j);
    if (free.empty()) {
      result.converged = true;
      break;
    }
    const Eigen::Index k = static_cast<Eigen::Index>(free.size());
    while (lambda < 1e12) {
      Eigen::MatrixXd a(k, k);
      Eigen::VectorXd g(k);
      for (Eigen::Index i = 0; i < k; ++i) {
        g(i) = gradient(free[static_cast<std::size_t>(i)]);
        for (Eigen::Index j = 0; j < k; ++j) a(i, j) = jtj(free[static_cast<std::size_t>(i)], free[static_cast<std::size_t>(j)]);
        a(i, i) += lambda * std::max(a(i, i), 1e-12);
      }
      const Eigen::VectorXd reduced = a.ldlt().solve(-g);
      Eigen::VectorXd step = Eigen::VectorXd::Zero(n);
      for (Eigen::Index i = 0; i < k; ++i) step(free[static_cast<std::size_t>(i)]) = reduced(i);
      Eigen::VectorXd trial = (z + step).cwiseMax(0.0).cwiseMin(1.0);  // projection onto the box
      const double trial_cost = cost_of(trial, r_try);
      if (trial_cost < cost) {
        const double relative = (cost - trial_cost) / std::max(cost, 1e-300);
        z = trial;
        r = r_try;
        cost = trial_cost;
        lambda = std::max(lambda / 3.0, 1e-12);
        accepted = true;
        quiet_steps = relative < tolerance ? quiet_steps + 1 : 0;
        break;
      }
      lambda *= 4.0;
    }
    if (!accepted || quiet_steps >= 3) {
      result.converged = true;
      break;
    }
  }
  result.x = to_x(z);
  result.cost = cost;
  return result;
}

}  // namespace llmpo::calibration
