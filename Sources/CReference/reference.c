// reference.c — hand-fused reference loops (see reference.h).
#include "reference.h"
#include <math.h>
#include <string.h>

// xoshiro256** seeded by splitmix64, and a 128-layer ziggurat (Doornik's
// ZIGNOR): the same kind of generator as Wiggle's engine.
typedef struct { uint64_t s[4]; } rng_t;

static inline uint64_t splitmix(uint64_t x) {
    uint64_t z = x + 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void rng_seed(rng_t *r, uint64_t seed) {
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) { x = splitmix(x); r->s[i] = x; }
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t rng_next(rng_t *r) {
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

static inline double rng_uniform(rng_t *r) { return (double)(rng_next(r) >> 11) * 0x1.0p-53; }
static inline double rng_open(rng_t *r) { return ((double)(rng_next(r) >> 11) + 0.5) * 0x1.0p-53; }

#define ZIG_C 128
#define ZIG_R 3.442619855899
#define ZIG_V 9.91256303526217e-3
static double zig_x[ZIG_C + 1], zig_ratio[ZIG_C];
static int zig_ready = 0;

static void zig_init(void) {
    double f = exp(-0.5 * ZIG_R * ZIG_R);
    zig_x[0] = ZIG_V / f;
    zig_x[1] = ZIG_R;
    zig_x[ZIG_C] = 0;
    for (int i = 2; i < ZIG_C; i++) {
        zig_x[i] = sqrt(-2 * log(ZIG_V / zig_x[i - 1] + f));
        f = exp(-0.5 * zig_x[i] * zig_x[i]);
    }
    for (int i = 0; i < ZIG_C; i++) zig_ratio[i] = zig_x[i + 1] / zig_x[i];
    zig_ready = 1;
}

static double zig_slow(rng_t *r, double u, int i) {
    if (i == 0) {
        double a, b;
        do { a = log(rng_open(r)) / ZIG_R; b = log(rng_open(r)); } while (-2 * b < a * a);
        return u < 0 ? a - ZIG_R : ZIG_R - a;
    }
    double x = u * zig_x[i];
    double f0 = exp(-0.5 * (zig_x[i] * zig_x[i] - x * x));
    double f1 = exp(-0.5 * (zig_x[i + 1] * zig_x[i + 1] - x * x));
    if (f1 + rng_uniform(r) * (f0 - f1) < 1.0) return x;
    return NAN;
}

static inline double zig_normal(rng_t *r) {
    for (;;) {
        uint64_t bits = rng_next(r);
        double u = 2 * ((double)(bits >> 11) * 0x1.0p-53) - 1;
        int i = (int)(bits & 0x7F);
        if (fabs(u) < zig_ratio[i]) return u * zig_x[i];
        double x = zig_slow(r, u, i);
        if (x == x) return x;
    }
}

// Sums and sums of squares of per-particle contributions: what a careful
// hand-written loop keeps (cheaper than Welford's update per particle).
typedef struct { double n, sum, squares; } acc_t;
static inline void acc_add(acc_t *a, double x) {
    a->n += 1;
    a->sum += x;
    a->squares += x * x;
}
static ref_estimate acc_done(const acc_t *a) {
    double mean = a->sum / a->n;
    double variance = a->n > 1 ? (a->squares - a->n * mean * mean) / (a->n - 1) : 0;
    ref_estimate e = { mean, variance > 0 ? sqrt(variance / a->n) : 0 };
    return e;
}

void ref_one_normal(long n, uint64_t seed, double mu, double log_sigma, ref_estimate out[3]) {
    if (!zig_ready) zig_init();
    rng_t r; rng_seed(&r, seed);
    acc_t f = {0}, gmu = {0}, gls = {0};
    double sigma = exp(log_sigma);
    for (long i = 0; i < n; i++) {
        double z = zig_normal(&r);
        double x = mu + sigma * z;
        double d = x - 3;
        acc_add(&f, d * d);
        acc_add(&gmu, 2 * d);
        acc_add(&gls, 2 * d * z * sigma);
    }
    out[0] = acc_done(&f); out[1] = acc_done(&gmu); out[2] = acc_done(&gls);
}

void ref_chain(long n, uint64_t seed, double a, double s, double h0, ref_estimate out[3]) {
    if (!zig_ready) zig_init();
    rng_t r; rng_seed(&r, seed);
    acc_t f = {0}, ga = {0}, gs = {0};
    for (long i = 0; i < n; i++) {
        double h = h0, dha = 0, dhs = 0;  // forward-mode tangents
        for (int t = 0; t < 50; t++) {
            double z = zig_normal(&r);
            double next = a * h + s * z;
            dha = h + a * dha;
            dhs = a * dhs + z;
            h = next;
        }
        acc_add(&f, h * h);
        acc_add(&ga, 2 * h * dha);
        acc_add(&gs, 2 * h * dhs);
    }
    out[0] = acc_done(&f); out[1] = acc_done(&ga); out[2] = acc_done(&gs);
}

#define CHUNK 256

// Adds a chunk's costs to f and its score terms, each against the mean of
// the chunk's other costs (the leave-one-out baseline), to g.
static inline void add_leave_one_out(acc_t *f, acc_t *g, const double *fs, const double *scores, int m, double sum) {
    for (int l = 0; l < m; l++) {
        double baseline = m > 1 ? (sum - fs[l]) / (m - 1) : 0;
        acc_add(f, fs[l]);
        acc_add(g, scores[l] * (fs[l] - baseline));
    }
}

void ref_bernoulli_toy(long n, uint64_t seed, double theta, ref_estimate out[2]) {
    rng_t r; rng_seed(&r, seed);
    acc_t f = {0}, g = {0};
    double p = 1 / (1 + exp(-theta));
    double dp = p * (1 - p);
    double fs[CHUNK], scores[CHUNK];
    for (long start = 0; start < n; start += CHUNK) {
        int m = (int)(n - start < CHUNK ? n - start : CHUNK);
        double sum = 0;
        for (int l = 0; l < m; l++) {
            double b = rng_uniform(&r) < p ? 1 : 0;
            double d = b - 0.499;
            fs[l] = d * d;
            scores[l] = (b != 0 ? 1 / p : -1 / (1 - p)) * dp;
            sum += fs[l];
        }
        add_leave_one_out(&f, &g, fs, scores, m, sum);
    }
    out[0] = acc_done(&f); out[1] = acc_done(&g);
}

void ref_normal_bernoulli(long n, uint64_t seed, double mu, ref_estimate out[2]) {
    if (!zig_ready) zig_init();
    rng_t r; rng_seed(&r, seed);
    acc_t f = {0}, g = {0};
    double fs[CHUNK], scores[CHUNK];
    for (long start = 0; start < n; start += CHUNK) {
        int m = (int)(n - start < CHUNK ? n - start : CHUNK);
        double sum = 0;
        for (int l = 0; l < m; l++) {
            double z = mu + zig_normal(&r);
            double e = exp(-fabs(z));
            double p = z >= 0 ? 1 / (1 + e) : e / (1 + e);
            double b = rng_uniform(&r) < p ? 1 : 0;
            fs[l] = b;
            // d log p(b)/dp · dp/dz · dz/dmu, with dz/dmu = 1.
            scores[l] = (b != 0 ? 1 / p : -1 / (1 - p)) * p * (1 - p);
            sum += b;
        }
        add_leave_one_out(&f, &g, fs, scores, m, sum);
    }
    out[0] = acc_done(&f); out[1] = acc_done(&g);
}

// Marsaglia and Tsang's gamma sampler (shape >= 1), as in Wiggle's engine.
static inline double gamma_draw(rng_t *r, double shape) {
    double d = shape - 1.0 / 3, c = 1 / sqrt(9 * d);
    for (;;) {
        double z = zig_normal(r);
        double v = 1 + c * z;
        if (v <= 0) continue;
        v = v * v * v;
        double u = rng_open(r);
        double z2 = z * z;
        if (u < 1 - 0.0331 * z2 * z2) return d * v;
        if (log(u) < 0.5 * z2 + d * (1 - v + log(v))) return d * v;
    }
}

void ref_gamma(long n, uint64_t seed, double shape, double rate, ref_estimate out[2]) {
    if (!zig_ready) zig_init();
    rng_t r; rng_seed(&r, seed);
    acc_t f = {0}, g = {0};
    for (long i = 0; i < n; i++) {
        double x = gamma_draw(&r, shape) / rate;
        acc_add(&f, x);
        acc_add(&g, -x / rate);
    }
    out[0] = acc_done(&f); out[1] = acc_done(&g);
}

// Poisson counts: inversion below a rate of 10, else Hörmann's PTRS.
static inline double poisson_draw(rng_t *r, double rate) {
    if (rate < 10) {
        double k = 0, p = exp(-rate), sum = p, u = rng_uniform(r);
        while (u > sum && p > 0) { k += 1; p *= rate / k; sum += p; }
        return k;
    }
    double root = sqrt(rate), log_rate = log(rate);
    double b = 0.931 + 2.53 * root, a = -0.059 + 0.02483 * b;
    double inv_alpha = 1.1239 + 1.1328 / (b - 3.4), vr = 0.9277 - 3.6224 / (b - 2);
    for (;;) {
        double u = rng_uniform(r) - 0.5, v = rng_open(r);
        double us = 0.5 - fabs(u);
        double k = floor((2 * a / us + b) * u + rate + 0.43);
        if (us >= 0.07 && v <= vr) return k;
        if (k < 0 || (us < 0.013 && v > us)) continue;
        if (log(v) + log(inv_alpha) - log(a / (us * us) + b) <= -rate + k * log_rate - lgamma(k + 1)) return k;
    }
}

void ref_poisson(long n, uint64_t seed, double rate, ref_estimate out[2]) {
    rng_t r; rng_seed(&r, seed);
    acc_t f = {0}, g = {0};
    double fs[CHUNK], scores[CHUNK];
    for (long start = 0; start < n; start += CHUNK) {
        int m = (int)(n - start < CHUNK ? n - start : CHUNK);
        double sum = 0;
        for (int l = 0; l < m; l++) {
            double k = poisson_draw(&r, rate);
            fs[l] = k;
            scores[l] = k / rate - 1;
            sum += k;
        }
        add_leave_one_out(&f, &g, fs, scores, m, sum);
    }
    out[0] = acc_done(&f); out[1] = acc_done(&g);
}

void ref_corridor(long n, uint64_t seed, const double w[4], ref_estimate out[5]) {
    rng_t r; rng_seed(&r, seed);
    acc_t f = {0}, g[4] = {{0}};
    double fs[CHUNK], scores[4][CHUNK];
    double p[4];
    for (int k = 0; k < 4; k++) p[k] = 1 / (1 + exp(-w[k]));
    for (long start = 0; start < n; start += CHUNK) {
        int m = (int)(n - start < CHUNK ? n - start : CHUNK);
        double sum = 0;
        for (int l = 0; l < m; l++) {
            int pos = 0, t = 0;
            double score[4] = {0, 0, 0, 0};
            // The episode goes on while the goal is not reached and a 0.9 coin says so.
            while (pos < 4 && rng_uniform(&r) < 0.9) {
                double q = p[pos];
                int right = rng_uniform(&r) < q;
                score[pos] += right - q;  // d log pi(a) / d w[pos]
                pos = pos + 2 * right - 1;
                if (pos < 0) pos = 0;
                t++;
            }
            fs[l] = (pos == 4 ? 1.0 : 0.0) - 0.05 * t;
            for (int k = 0; k < 4; k++) scores[k][l] = score[k];
            sum += fs[l];
        }
        for (int l = 0; l < m; l++) {
            double baseline = m > 1 ? (sum - fs[l]) / (m - 1) : 0;
            acc_add(&f, fs[l]);
            for (int k = 0; k < 4; k++) acc_add(&g[k], scores[k][l] * (fs[l] - baseline));
        }
    }
    out[0] = acc_done(&f);
    for (int k = 0; k < 4; k++) out[k + 1] = acc_done(&g[k]);
}

void ref_geometric(long n, uint64_t seed, double t, int gradient, ref_estimate out[2]) {
    rng_t r; rng_seed(&r, seed);
    acc_t f = {0}, g = {0};
    double fs[CHUNK], scores[CHUNK];
    double p = 1 / (1 + exp(-t));
    for (long start = 0; start < n; start += CHUNK) {
        int m = (int)(n - start < CHUNK ? n - start : CHUNK);
        double sum = 0;
        for (int l = 0; l < m; l++) {
            long count = 0;
            while (rng_uniform(&r) < p) count++;
            fs[l] = (double)count;
            // Each 1 has score 1 − p, the last 0 has −p.
            scores[l] = (double)count * (1 - p) - p;
            sum += fs[l];
        }
        for (int l = 0; l < m; l++) {
            acc_add(&f, fs[l]);
            if (gradient) {
                double baseline = m > 1 ? (sum - fs[l]) / (m - 1) : 0;
                acc_add(&g, scores[l] * (fs[l] - baseline));
            }
        }
    }
    out[0] = acc_done(&f);
    out[1] = acc_done(&g);
}

void ref_walk(long n, uint64_t seed, double mu, double go, ref_estimate out[2]) {
    if (!zig_ready) zig_init();
    rng_t r; rng_seed(&r, seed);
    acc_t f = {0}, g = {0};
    for (long i = 0; i < n; i++) {
        double x = 0;
        long steps = 0;
        while (rng_uniform(&r) < go) {
            x += mu + zig_normal(&r);
            steps++;
        }
        acc_add(&f, x * x);
        acc_add(&g, 2 * x * (double)steps);
    }
    out[0] = acc_done(&f);
    out[1] = acc_done(&g);
}

// A 16-unit network on a random input: x ~ normal(0, 1),
// y = Σ w2[i] tanh(w1[i] x + b1[i]) + b2, f = (y - sin(3x))^2, the pathwise
// gradient over n particles by hand (forward, then the chain rule), and an
// Adam step (0.9, 0.999, 1e-8) on the 49 parameters, `steps` times.
// Parameters: w1[0..16], b1[16..32], w2[32..48], b2[48]. Returns the mean
// objective of the last step.
double ref_network_steps(long n, uint64_t seed, long steps, double lr, double params[49]) {
    if (!zig_ready) zig_init();
    rng_t r; rng_seed(&r, seed);
    double m[49] = {0}, v[49] = {0}, g[49];
    double last = 0;
    for (long step = 1; step <= steps; step++) {
        for (int k = 0; k < 49; k++) g[k] = 0;
        double total = 0;
        const double *w1 = params, *b1 = params + 16, *w2 = params + 32;
        for (long p = 0; p < n; p++) {
            double x = zig_normal(&r);
            double h[16], y = params[48];
            for (int i = 0; i < 16; i++) {
                h[i] = tanh(w1[i] * x + b1[i]);
                y += w2[i] * h[i];
            }
            double residual = y - sin(3 * x);
            total += residual * residual;
            double dy = 2 * residual;
            g[48] += dy;
            for (int i = 0; i < 16; i++) {
                g[32 + i] += dy * h[i];
                double da = dy * w2[i] * (1 - h[i] * h[i]);
                g[i] += da * x;
                g[16 + i] += da;
            }
        }
        last = total / (double)n;
        double c1 = 1 - pow(0.9, (double)step), c2 = 1 - pow(0.999, (double)step);
        for (int k = 0; k < 49; k++) {
            double gk = g[k] / (double)n;
            m[k] = 0.9 * m[k] + 0.1 * gk;
            v[k] = 0.999 * v[k] + 0.001 * gk * gk;
            params[k] -= lr * (m[k] / c1) / (sqrt(v[k] / c2) + 1e-8);
        }
    }
    return last;
}

// Variational inference for the mean of 1,000 data points: z = m + e^ls ε,
// elbo = Σ_i log N(y_i; z, 1) + log N(z; 0, 10) − log N(z; m, e^ls), its
// pathwise gradient over n particles, and an Adam step (uphill), `steps`
// times. params: m, ls. Returns the last step's mean elbo.
double ref_vi_steps(long n, uint64_t seed, long steps, double lr, const double *y, long count, double params[2]) {
    if (!zig_ready) zig_init();
    rng_t r; rng_seed(&r, seed);
    double m[2] = {0, 0}, v[2] = {0, 0};
    const double half_log_2pi = 0.91893853320467274178;
    double last = 0;
    for (long step = 1; step <= steps; step++) {
        double mu = params[0], ls = params[1], s = exp(ls);
        double g[2] = {0, 0}, total = 0;
        for (long p = 0; p < n; p++) {
            double e = zig_normal(&r), z = mu + s * e;
            double loglik = 0, dz = 0;
            for (long i = 0; i < count; i++) {
                double d = y[i] - z;
                loglik += -0.5 * d * d - half_log_2pi;
                dz += d;
            }
            double prior = -0.5 * (z / 10) * (z / 10) - log(10.0) - half_log_2pi;
            double entropy = 0.5 * e * e + ls + half_log_2pi;
            total += loglik + prior + entropy;
            dz -= z / 100;
            g[0] += dz;
            g[1] += dz * s * e + 1;
        }
        last = total / (double)n;
        double c1 = 1 - pow(0.9, (double)step), c2 = 1 - pow(0.999, (double)step);
        for (int k = 0; k < 2; k++) {
            double gk = -g[k] / (double)n;  // maximise: descend on −elbo
            m[k] = 0.9 * m[k] + 0.1 * gk;
            v[k] = 0.999 * v[k] + 0.001 * gk * gk;
            params[k] -= lr * (m[k] / c1) / (sqrt(v[k] / c2) + 1e-8);
        }
    }
    return last;
}

double ref_regression_steps(long n, uint64_t seed, long steps, double lr, const double *x, const double *y, long count,
                            double params[4]) {
    if (!zig_ready) zig_init();
    rng_t r; rng_seed(&r, seed);
    double m[4] = {0, 0, 0, 0}, v[4] = {0, 0, 0, 0};
    const double half_log_2pi = 0.91893853320467274178;
    double last = 0;
    for (long step = 1; step <= steps; step++) {
        double sa = exp(params[1]), sb = exp(params[3]);
        double g[4] = {0, 0, 0, 0}, total = 0;
        for (long p = 0; p < n; p++) {
            double ea = zig_normal(&r), eb = zig_normal(&r);
            double a = params[0] + sa * ea, b = params[2] + sb * eb;
            double loglik = 0, da = 0, db = 0;
            for (long i = 0; i < count; i++) {
                double t = tanh(b * x[i]);
                double d = y[i] - a * t;
                loglik += -0.5 * d * d - half_log_2pi;
                da += d * t;
                db += d * a * (1 - t * t) * x[i];
            }
            double prior = -0.5 * ((a / 10) * (a / 10) + (b / 10) * (b / 10)) - 2 * (log(10.0) + half_log_2pi);
            double entropy = 0.5 * (ea * ea + eb * eb) + params[1] + params[3] + 2 * half_log_2pi;
            total += loglik + prior + entropy;
            da -= a / 100;
            db -= b / 100;
            g[0] += da;
            g[1] += da * sa * ea + 1;
            g[2] += db;
            g[3] += db * sb * eb + 1;
        }
        last = total / (double)n;
        double c1 = 1 - pow(0.9, (double)step), c2 = 1 - pow(0.999, (double)step);
        for (int k = 0; k < 4; k++) {
            double gk = -g[k] / (double)n;
            m[k] = 0.9 * m[k] + 0.1 * gk;
            v[k] = 0.999 * v[k] + 0.001 * gk * gk;
            params[k] -= lr * (m[k] / c1) / (sqrt(v[k] / c2) + 1e-8);
        }
    }
    return last;
}

