// Stable, platform-independent hashing and seeded ordering. Problem ids and every "random"
// choice the engine makes (k-per-problem selection, pool subsets) derive from these, so the
// same seed gives the same result on every machine and every run.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tpt {

// FNV-1a, 64-bit.
uint64_t fnv1a64(std::string_view bytes, uint64_t seed = 0xcbf29ce484222325ULL);

// SplitMix64 finaliser: a well-mixed 64-bit value from any 64-bit input.
uint64_t mix64(uint64_t x);

// A per-item random key for (seed, item): sorting by it gives a seeded shuffle that does not
// depend on the order or number of other items.
inline uint64_t seeded_key(uint64_t seed, uint64_t item) { return mix64(mix64(seed) ^ item); }

std::string hex64(uint64_t value, int digits = 16);

}  // namespace tpt
