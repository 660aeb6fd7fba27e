// Hand-fused reference loops for the benchmark: the same estimators as
// Wiggle's engine, written the way a careful person writes them in C, one
// particle at a time with everything in registers, single-threaded.
#ifndef WIGGLE_REFERENCE_H
#define WIGGLE_REFERENCE_H

#include <stdint.h>

/// Mean and standard error of a gradient (or objective) estimate.
typedef struct {
    double value;
    double stderr_;
} ref_estimate;

/// x ~ normal(mu, exp(log_sigma)), f = (x - 3)^2; d/dmu, d/dlog_sigma (pathwise).
void ref_one_normal(long n, uint64_t seed, double mu, double log_sigma, ref_estimate out[3]);

/// h[t+1] ~ normal(a h[t], s), 50 steps from h0; f = h50^2; d/da, d/ds (pathwise, forward mode).
void ref_chain(long n, uint64_t seed, double a, double s, double h0, ref_estimate out[3]);

/// b ~ bernoulli(sigmoid(theta)), f = (b - 0.499)^2; d/dtheta by the score function
/// with a leave-one-out baseline inside chunks of 256 particles.
void ref_bernoulli_toy(long n, uint64_t seed, double theta, ref_estimate out[2]);

/// z ~ normal(mu, 1), b ~ bernoulli(sigmoid(z)), f = b; d/dmu: score term of b
/// through sigmoid and z (pathwise), leave-one-out baseline inside chunks of 256.
void ref_normal_bernoulli(long n, uint64_t seed, double mu, ref_estimate out[2]);

/// x ~ gamma(shape, rate) by Marsaglia–Tsang, f = x; d/drate = -x/rate (pathwise).
void ref_gamma(long n, uint64_t seed, double shape, double rate, ref_estimate out[2]);

/// k ~ poisson(rate) (inversion below 10, PTRS above), f = k; d/drate by the
/// score function k/rate - 1 with a leave-one-out baseline inside chunks of 256.
void ref_poisson(long n, uint64_t seed, double rate, ref_estimate out[2]);

/// A corridor of 5 cells: from cell 0, each step moves right with probability
/// sigmoid(w[cell]) (else left, a wall at 0) while the goal (cell 4) is not
/// reached and a 0.9 coin says go on; f = (reached the goal) - 0.05 steps;
/// d/dw by REINFORCE (the sum of the steps' scores times f less a
/// leave-one-out baseline inside chunks of 256).
void ref_corridor(long n, uint64_t seed, const double w[4], ref_estimate out[5]);

/// A geometric count: N draws of bernoulli(sigmoid(t)) that come out 1
/// before the first 0; f = N; d/dt by the score function (the sum of every
/// draw's b − p, the last 0 included, times f less a leave-one-out baseline
/// inside chunks of 256). With `gradient` 0, only f.
void ref_geometric(long n, uint64_t seed, double t, int gradient, ref_estimate out[2]);

/// A Gaussian walk of random length: while a coin with `go` to go on says
/// so, x += normal(mu, 1); f = x²; d/dmu pathwise (dx/dmu is the number of steps).
void ref_walk(long n, uint64_t seed, double mu, double go, ref_estimate out[2]);

/// A 16-unit network on x ~ normal(0, 1): y = Σ w2[i] tanh(w1[i] x + b1[i]) + b2,
/// f = (y - sin(3x))^2; `steps` Adam steps on its pathwise gradient over n
/// particles (params: w1[16], b1[16], w2[16], b2); the last step's mean f.
double ref_network_steps(long n, uint64_t seed, long steps, double lr, double params[49]);

/// Variational inference for the mean of `count` data points y: z = m + e^ls ε,
/// elbo = Σ log N(y_i; z, 1) + log N(z; 0, 10) − log N(z; m, e^ls); `steps`
/// Adam steps uphill on its pathwise gradient over n particles (params: m, ls).
double ref_vi_steps(long n, uint64_t seed, long steps, double lr, const double *y, long count, double params[2]);
/// Variational inference for a nonlinear regression y = a tanh(b x) + noise
/// (sd 1) on `count` points: q(a) = normal(ma, e^la), q(b) = normal(mb,
/// e^lb), priors normal(0, 10), n particles per step, Adam (lr) maximising
/// the ELBO; params = {ma, la, mb, lb}. Returns the last step's mean ELBO.
double ref_regression_steps(long n, uint64_t seed, long steps, double lr, const double *x, const double *y, long count,
                            double params[4]);

#endif
