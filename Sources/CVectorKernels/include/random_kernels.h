// The counter-based generator of WiggleCore's ParticleRandom over many
// lanes at once (see random_kernels.c). WiggleDistributions calls these.
#ifndef WIGGLE_RANDOM_KERNELS_H
#define WIGGLE_RANDOM_KERNELS_H

#include <stdint.h>

/// The widest path this processor runs: 2 (AVX-512 F and DQ), 1 (AVX2), 0 (none).
int wiggle_rk_level(void);
/// Caps the path taken (tests compare each with the Swift loop); -1 lifts the cap.
void wiggle_rk_set_cap(int cap);
/// out[l] = 1 when lane l's first uniform is below q, else 0, for a
/// Bernoulli draw whose q every lane shares: lane l is particle first + l,
/// or first + positions[l] when positions is not NULL; key is the draw's.
/// The bits of ParticleRandom's `uniform() < q`. Returns 0, having written
/// nothing, when no vector path runs here or q is not in [0, 1].
int wiggle_rk_bernoulli(uint64_t key, uint64_t first, const int32_t *positions, long n, double q, double *out);
/// The same with lane l's own p[l]: 1 when its uniform is below p[l] (never
/// for a nan); the caller checks the p's. Returns 0 when no vector path runs here.
int wiggle_rk_bernoulli_each(uint64_t key, uint64_t first, const int32_t *positions, long n, const double *p, double *out);
/// out[l] = lane l's first uniform in (0, 1): ParticleRandom's
/// `uniformOpen()`, ((r >> 11) + 0.5)·2⁻⁵³, its bits. Returns 0 when no
/// vector path runs here.
int wiggle_rk_uniform_open(uint64_t key, uint64_t first, const int32_t *positions, long n, double *out);

#endif
